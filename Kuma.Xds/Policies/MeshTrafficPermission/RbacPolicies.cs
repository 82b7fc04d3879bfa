using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Rbac.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Validation;
using Xds.Type.Matcher.V3;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;
using Predicate = Xds.Type.Matcher.V3.Matcher.Types.MatcherList.Types.Predicate;
using FieldMatcher = Xds.Type.Matcher.V3.Matcher.Types.MatcherList.Types.FieldMatcher;
using XdsExtension = Xds.Core.V3.TypedExtensionConfig;

namespace Kuma.Policies.MeshTrafficPermission;

/// <summary>What an RBAC filter enforces and what it only records (shadow), in either of Envoy's two forms.</summary>
internal sealed record RbacConfig(RBAC? Rules, RBAC? ShadowRules, Matcher? Matcher, Matcher? ShadowMatcher);

/// <summary>
/// Kuma's two RBAC forms for an inbound. Legacy <c>from</c> entries become caller subsets, each a principal made of
/// the caller's SPIFFE id (<c>spiffe://&lt;mesh&gt;/&lt;service&gt;</c>) and its other tags (<c>kuma://&lt;tag&gt;/&lt;value&gt;</c>
/// URI SANs), in one allow policy named <c>MeshTrafficPermission</c>; subsets that are denied simply stay out of it.
/// <c>rules</c> become an Envoy matcher: every deny before every allow, the first match deciding, and denial when
/// nothing matches.
/// </summary>
internal static class RbacPolicies
{
    public const string PolicyName = "MeshTrafficPermission";
    public const string ActionExtension = "envoy.filters.rbac.action";
    private const string Allow = "Allow";
    private const string AllowWithShadowDeny = "AllowWithShadowDeny";

    /// <param name="subsets">Caller subsets with their merged confs, most specific first.</param>
    public static RbacConfig FromCallerSubsets(ImmutableArray<SubsetRule> subsets, string mesh)
    {
        var allowed = new List<Principal>();
        var shadowDenied = new List<Principal>();
        foreach (var subset in subsets)
        {
            var action = subset.Conf.Deserialize<MeshTrafficPermissionConf>(SpecBinder.Options)?.Action;
            if (action == Allow) allowed.Add(Caller(subset.Subset, mesh));
            else if (action == AllowWithShadowDeny) shadowDenied.Add(Caller(subset.Subset, mesh));
        }
        // Kuma lists the plainly allowed callers first, then those allowed with a shadow deny.
        var rules = new RBAC { Action = RBAC.Types.Action.Allow };
        if (allowed.Count + shadowDenied.Count > 0) rules.Policies[PolicyName] = AnyPermission([.. allowed, .. shadowDenied]);
        RBAC? shadow = null;
        if (shadowDenied.Count > 0)
        {
            shadow = new RBAC { Action = RBAC.Types.Action.Deny };
            shadow.Policies[PolicyName] = AnyPermission(shadowDenied.Select(p => p.Clone()));
        }
        return new RbacConfig(rules, shadow, null, null);
    }

    /// <summary>Nobody is allowed: what an inbound gets when mTLS is on and no permission covers it.</summary>
    public static RbacConfig DenyAll() => new(new RBAC { Action = RBAC.Types.Action.Allow }, null, null, null);

    /// <param name="rules">The inbound's rules in Kuma's order, each with the policy it came from.</param>
    public static RbacConfig FromRules(IReadOnlyList<InboundRule> rules, string typeShortName)
    {
        var confs = rules.Select(r => (Conf: Read(r.Conf), Name: r.Origin.Kri(typeShortName))).ToList();
        var enforced = new List<FieldMatcher>();
        // A deny anywhere wins over an allow anywhere, whatever order the policies merged in.
        foreach (var (conf, name) in confs) AddMatcher(enforced, conf.Deny, RBAC.Types.Action.Deny, name);
        foreach (var (conf, name) in confs)
            AddMatcher(enforced, [.. conf.Allow ?? [], .. conf.AllowWithShadowDeny ?? []], RBAC.Types.Action.Allow, name);
        Matcher? shadow = null;
        // As in Kuma, any rule that has the list at all (even empty) gives a shadow matcher.
        if (confs.Any(c => c.Conf.AllowWithShadowDeny is not null))
        {
            var recorded = new List<FieldMatcher>();
            foreach (var (conf, name) in confs) AddMatcher(recorded, conf.AllowWithShadowDeny, RBAC.Types.Action.Deny, name);
            shadow = MatcherOf(recorded);
        }
        return new RbacConfig(null, null, MatcherOf(enforced), shadow);
    }

    /// <summary>
    /// The <paramref name="rules"/> in the only form gRPC's RBAC filter reads (Envoy's policies; it ignores matchers
    /// and shadow rules), meaning what <see cref="FromRules"/> means: a caller is allowed by an allow (or
    /// allow-with-shadow-deny) match of some rule, and not by any deny match of any rule. gRPC does not see the
    /// requested server name, so an SNI condition fails closed: an allow match that needs one is left out, and a deny
    /// match applies whatever the name.
    /// </summary>
    public static RBAC FromRulesForGrpc(IReadOnlyList<InboundRule> rules, string typeShortName)
    {
        var confs = rules.Select(r => (Conf: Read(r.Conf), Name: r.Origin.Kri(typeShortName))).ToList();
        var denied = confs.SelectMany(c => c.Conf.Deny ?? []).Select(m => GrpcPrincipal(m, denying: true)).OfType<Principal>().ToList();
        var rbac = new RBAC { Action = RBAC.Types.Action.Allow };
        foreach (var (conf, name) in confs)
        {
            var allowed = ((IEnumerable<Match>)[.. conf.Allow ?? [], .. conf.AllowWithShadowDeny ?? []])
                .Select(m => GrpcPrincipal(m, denying: false)).OfType<Principal>().ToList();
            if (allowed.Count == 0) continue;
            var who = OneOf(allowed);
            if (denied.Count > 0)
                who = new Principal { AndIds = new Principal.Types.Set { Ids = { who, new Principal { NotId = OneOf(denied.Select(d => d.Clone()).ToList()) } } } };
            if (rbac.Policies.TryGetValue(name, out var existing)) existing.Principals.Add(who);
            else rbac.Policies[name] = AnyPermission([who]);
        }
        return rbac;
    }

    /// <summary>What of <see cref="FromRulesForGrpc"/>'s input gRPC cannot do as an Envoy sidecar does, by the rule it comes from.</summary>
    public static IEnumerable<(string Field, string Reason, PolicyOrigin Origin)> GrpcGaps(IReadOnlyList<InboundRule> rules)
    {
        foreach (var rule in rules)
        {
            var conf = Read(rule.Conf);
            if (conf.AllowWithShadowDeny is { Count: > 0 }) yield return ("default.allowWithShadowDeny", NoShadow, rule.Origin);
            if (conf.Allow?.Any(m => m.Sni is not null) == true)
                yield return ("default.allow[].sni", "gRPC's RBAC filter does not see the requested server name: a match with an SNI allows nobody", rule.Origin);
            if (conf.Deny?.Any(m => m.Sni is not null) == true)
                yield return ("default.deny[].sni", "gRPC's RBAC filter does not see the requested server name: a match with an SNI denies whatever name the caller asked for", rule.Origin);
        }
    }

    public const string NoShadow = "gRPC's RBAC filter evaluates no shadow rules: such callers are allowed and nothing records the shadow deny";

    private static Principal OneOf(List<Principal> principals) =>
        principals.Count == 1 ? principals[0] : new Principal { OrIds = new Principal.Types.Set { Ids = { principals } } };

    /// <summary>A match's conditions as gRPC's principal; null when it can never match (or has no conditions, as Kuma skips those).</summary>
    private static Principal? GrpcPrincipal(Match match, bool denying)
    {
        if (match.Sni is not null && !denying) return null;
        if (match.SpiffeID is not { } spiffe) return match.Sni is not null ? new Principal { Any = true } : null;
        var name = spiffe.Type == "Prefix" ? new EnvoyStringMatcher { Prefix = spiffe.Value ?? "" } : new EnvoyStringMatcher { Exact = spiffe.Value ?? "" };
        return new Principal { Authenticated = new Principal.Types.Authenticated { PrincipalName = name } };
    }

    public static bool MatchesSni(IReadOnlyList<InboundRule> rules) =>
        rules.Select(r => Read(r.Conf)).Any(c => new[] { c.Allow, c.Deny, c.AllowWithShadowDeny }.Any(list => list?.Any(m => m.Sni is not null) == true));

    private static MeshTrafficPermissionRuleConf Read(JsonObject conf) =>
        conf.Deserialize<MeshTrafficPermissionRuleConf>(SpecBinder.Options) ?? new MeshTrafficPermissionRuleConf();

    private static Policy AnyPermission(IEnumerable<Principal> principals)
    {
        var policy = new Policy { Permissions = { new Permission { Any = true } } };
        policy.Principals.AddRange(principals);
        return policy;
    }

    private static Principal Caller(ImmutableArray<SubsetTag> subset, string mesh)
    {
        var parts = subset.Select(tag =>
        {
            var uri = tag.Key == PolicyLabels.ServiceTag ? $"spiffe://{mesh}/{tag.Value}" : $"kuma://{tag.Key}/{tag.Value}";
            var principal = new Principal { Authenticated = new Principal.Types.Authenticated { PrincipalName = new EnvoyStringMatcher { Exact = uri } } };
            return tag.Not ? new Principal { NotId = principal } : principal;
        }).ToList();
        return parts.Count switch
        {
            0 => new Principal { Any = true },
            1 => parts[0],
            _ => new Principal { AndIds = new Principal.Types.Set { Ids = { parts } } },
        };
    }

    /// <summary>One field matcher for a list of matches (any of them; within one, all its conditions); none for an empty list.</summary>
    private static void AddMatcher(List<FieldMatcher> matchers, IReadOnlyList<Match>? matches, RBAC.Types.Action action, string name)
    {
        var perMatch = (matches ?? []).Select(Conditions).Where(p => p is not null).Select(p => p!).ToList();
        if (perMatch.Count == 0) return;
        matchers.Add(new FieldMatcher
        {
            Predicate = perMatch.Count == 1 ? perMatch[0] : new Predicate { OrMatcher = new Predicate.Types.PredicateList { Predicate = { perMatch } } },
            OnMatch = ActionOf(action, name),
        });
    }

    private static Predicate? Conditions(Match match)
    {
        var conditions = new List<Predicate>();
        if (match.SpiffeID is { } spiffe)
        {
            var value = spiffe.Type == "Prefix" ? new StringMatcher { Prefix = spiffe.Value ?? "" } : new StringMatcher { Exact = spiffe.Value ?? "" };
            conditions.Add(Single("envoy.matching.inputs.uri_san", Any.Pack(new Envoy.Extensions.Matching.CommonInputs.Ssl.V3.UriSanInput()), value));
        }
        if (match.Sni is { } sni)
        {
            conditions.Add(Single("envoy.matching.inputs.server_name", Any.Pack(new Envoy.Extensions.Matching.CommonInputs.Network.V3.ServerNameInput()),
                new StringMatcher { Exact = sni.Value ?? "" }));
        }
        return conditions.Count switch
        {
            0 => null,
            1 => conditions[0],
            _ => new Predicate { AndMatcher = new Predicate.Types.PredicateList { Predicate = { conditions } } },
        };
    }

    private static Predicate Single(string input, Any config, StringMatcher value) => new()
    {
        SinglePredicate = new Predicate.Types.SinglePredicate { Input = new XdsExtension { Name = input, TypedConfig = config }, ValueMatch = value },
    };

    private static Matcher MatcherOf(List<FieldMatcher> matchers)
    {
        var matcher = new Matcher { OnNoMatch = ActionOf(RBAC.Types.Action.Deny, "default") };
        if (matchers.Count > 0) matcher.MatcherList = new Matcher.Types.MatcherList { Matchers = { matchers } };
        return matcher;
    }

    private static Matcher.Types.OnMatch ActionOf(RBAC.Types.Action action, string name) => new()
    {
        Action = new XdsExtension { Name = ActionExtension, TypedConfig = Any.Pack(new Envoy.Config.Rbac.V3.Action { Name = name, Action_ = action }) },
    };
}
