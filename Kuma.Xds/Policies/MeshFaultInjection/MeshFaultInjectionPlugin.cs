using System.Collections.Immutable;
using System.Text.Json;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Common.Matching.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Xds.Generation;
using Xds.Type.Matcher.V3;
using CoreExtension = Envoy.Config.Core.V3.TypedExtensionConfig;
using XdsExtension = Xds.Core.V3.TypedExtensionConfig;

namespace Kuma.Policies.MeshFaultInjection;

/// <summary>
/// MeshFaultInjection as Kuma applies it to a sidecar: HTTP fault filters on the destination's inbound
/// listener, just before the router. Legacy <c>from</c> entries become one unnamed-by-policy filter per caller
/// subset and fault, told apart by a regex on the <c>x-kuma-tags</c> header the caller's outbound adds;
/// <c>rules</c> become one filter per rule and fault, named after the policy (its KRI) and skipped by an Envoy
/// matcher for callers the rule's match does not cover. TCP inbounds are left alone.
/// </summary>
public sealed class MeshFaultInjectionPlugin : PolicyPlugin
{
    public const string FaultFilter = "envoy.filters.http.fault";
    private static readonly MergeRules Merge = MergeRules.ForPolicyType(MeshFaultInjectionPolicy.Descriptor.Name);

    public override void InboundListener(Listener listener, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rules);
        if (!EnvoyBuild.IsHttp(target.Protocol)) return;
        // Kuma prefers the rules API whenever a selecting policy has rules; from entries are then not read.
        var filters = rules.Rules.IsEmpty ? FromCallerSubsets(rules.CallerSubsets(Merge)) : FromRules(rules.Rules);
        if (filters.Count == 0) return;
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => InsertBeforeRouter(hcm, filters));
        }
    }

    /// <summary>
    /// A proxyless destination cannot inject faults itself, so its caller does: the faults that would select
    /// this caller at the destination's inbound, as plain fault filters (gRPC's xDS client supports them; no
    /// header match is needed, the caller is known).
    /// </summary>
    public override void ProxylessDestination(Listener listener, OutboundTarget target, System.Text.Json.Nodes.JsonObject? conf)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var filters = (conf is null ? [] : Read(conf)?.Http ?? []).Select(f => new HttpFilter { Name = FaultFilter, TypedConfig = Any.Pack(FaultConfig.Build(f)) }).ToList();
        if (filters.Count == 0) return;
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => InsertBeforeRouter(hcm, filters));
        }
    }

    /// <summary>Kuma injects <c>to</c> faults on gateways only; a proxyless client is none.</summary>
    public override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, System.Text.Json.Nodes.JsonObject conf) =>
        [new("default", "MeshFaultInjection's to entries act on gateways only")];

    /// <summary>The caller injects a destination's aborts and delays; gRPC's fault filter has no response rate limit.</summary>
    public override IEnumerable<ProxylessGap> ProxylessDestinationGaps(OutboundTarget target, System.Text.Json.Nodes.JsonObject conf) =>
        (Read(conf)?.Http ?? []).Any(f => f.ResponseBandwidth is not null)
            ? [new("default.http[].responseBandwidth", "gRPC's fault injection has no response rate limit")]
            : [];

    private static List<HttpFilter> FromCallerSubsets(ImmutableArray<SubsetRule> subsets)
    {
        var filters = new List<HttpFilter>();
        foreach (var rule in subsets)
        {
            foreach (var fault in Read(rule.Conf)?.Http ?? [])
            {
                var config = FaultConfig.Build(fault);
                if (!rule.Subset.IsEmpty) config.Headers.AddRange(CallerHeaders.For(rule.Subset));
                filters.Add(new HttpFilter { Name = FaultFilter, TypedConfig = Any.Pack(config) });
            }
        }
        return filters;
    }

    private static List<HttpFilter> FromRules(ImmutableArray<InboundRule> rules)
    {
        var filters = new List<HttpFilter>();
        foreach (var rule in rules)
        {
            var name = rule.Origin.Kri(MeshFaultInjectionPolicy.Descriptor.ShortName!);
            foreach (var fault in Read(rule.Conf)?.Http ?? [])
            {
                var extension = new ExtensionWithMatcher
                {
                    XdsMatcher = CallerMatchers.SkipUnless(rule.Match),
                    ExtensionConfig = new CoreExtension { Name = FaultFilter, TypedConfig = Any.Pack(FaultConfig.Build(fault)) },
                };
                filters.Add(new HttpFilter { Name = name, TypedConfig = Any.Pack(extension) });
            }
        }
        return filters;
    }

    private static void InsertBeforeRouter(HttpConnectionManager hcm, List<HttpFilter> filters)
    {
        var router = hcm.HttpFilters.ToList().FindIndex(f => f.Name == EnvoyBuild.RouterFilter);
        var at = router < 0 ? hcm.HttpFilters.Count : router;
        for (var i = 0; i < filters.Count; i++) hcm.HttpFilters.Insert(at + i, filters[i].Clone());
    }

    private static MeshFaultInjectionConf? Read(System.Text.Json.Nodes.JsonObject conf) =>
        conf.Deserialize<MeshFaultInjectionConf>(Kuma.Validation.SpecBinder.Options);
}

/// <summary>Envoy matchers that let a filter run only for callers a rule's match covers.</summary>
internal static class CallerMatchers
{
    /// <summary>A matcher whose action skips the filter when the caller is not matched; empty (never skips) without a match.</summary>
    public static Matcher SkipUnless(Match? match)
    {
        var matcher = new Matcher();
        if (match is null) return matcher;
        var predicates = new List<Matcher.Types.MatcherList.Types.Predicate>();
        if (match.SpiffeID is { } spiffe)
        {
            var value = spiffe.Type == "Prefix" ? new StringMatcher { Prefix = spiffe.Value ?? "" } : new StringMatcher { Exact = spiffe.Value ?? "" };
            predicates.Add(Single("envoy.matching.inputs.uri_san", new Envoy.Extensions.Matching.CommonInputs.Ssl.V3.UriSanInput(), value));
        }
        if (match.Sni is { } sni)
        {
            predicates.Add(Single("envoy.matching.inputs.server_name", new Envoy.Extensions.Matching.CommonInputs.Network.V3.ServerNameInput(),
                new StringMatcher { Exact = sni.Value ?? "" }));
        }
        var combined = predicates.Count switch
        {
            0 => new Matcher.Types.MatcherList.Types.Predicate(),
            1 => predicates[0],
            _ => new Matcher.Types.MatcherList.Types.Predicate { AndMatcher = new() { Predicate = { predicates } } },
        };
        matcher.MatcherList = new Matcher.Types.MatcherList
        {
            Matchers =
            {
                new Matcher.Types.MatcherList.Types.FieldMatcher
                {
                    Predicate = new Matcher.Types.MatcherList.Types.Predicate { NotMatcher = combined },
                    OnMatch = new Matcher.Types.OnMatch
                    {
                        Action = new XdsExtension { Name = "skip", TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Common.Matcher.Action.V3.SkipFilter()) },
                    },
                },
            },
        };
        return matcher;
    }

    private static Matcher.Types.MatcherList.Types.Predicate Single(string inputName, Google.Protobuf.IMessage input, StringMatcher value) => new()
    {
        SinglePredicate = new Matcher.Types.MatcherList.Types.Predicate.Types.SinglePredicate
        {
            Input = new XdsExtension { Name = inputName, TypedConfig = Any.Pack(input) },
            ValueMatch = value,
        },
    };
}
