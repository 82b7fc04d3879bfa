using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json.Nodes;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.Rules;

/// <summary>
/// The merged configuration of one policy type for one proxy (or a group of proxies with equal facts).
/// Results are shared between callers and must be treated as read-only.
/// </summary>
public sealed class MergedRules
{
    private readonly ImmutableArray<PolicyItem> _policies;
    private readonly MergeRules _merge;
    private readonly ImmutableArray<(PolicyItem Policy, ImmutableArray<InboundFacts> Inbounds)> _inboundSelections;
    private readonly ImmutableArray<OutboundEntry> _outbound;
    private readonly ConcurrentDictionary<string, Outbound> _byService = new(StringComparer.Ordinal);
    // Positions in _outbound of the entries naming a service, per name, and of the others: a mesh with a policy
    // per service would otherwise look at every entry for every outbound of every proxy.
    private readonly Dictionary<string, List<int>> _outboundByName = new(StringComparer.Ordinal);
    private readonly List<int> _outboundAnyName = [];
    private readonly bool _hasRouteEntries;
    private readonly ConcurrentDictionary<string, ImmutableArray<RouteRules>> _routesByService = new(StringComparer.Ordinal);
    // Inbounds are told apart by section name and port (tag dictionaries compare by reference).
    private readonly ConcurrentDictionary<(string SectionName, uint Port), InboundRules> _byInbound = new();

    private readonly MergeCache _cache;

    private MergedRules(ProxyFacts proxy, ImmutableArray<PolicyItem> policies, MergeRules merge, MergeCache cache, RouteTargets routes)
    {
        _policies = policies;
        _merge = merge;
        _cache = cache;
        _inboundSelections = [.. policies.Select(p => (p, PolicyMatcher.InboundsSelectedBy(proxy, p, routes)))];
        _outbound = [.. LegacyOutboundEntries(policies, routes)];
        for (var i = 0; i < _outbound.Length; i++)
        {
            if (_outbound[i].Rule is not null) _hasRouteEntries = true;
            else if (_outbound[i].TargetRef is { Kind: MeshService or MeshServiceSubset, Name: { } name })
                (_outboundByName.TryGetValue(name, out var list) ? list : _outboundByName[name] = []).Add(i);
            else _outboundAnyName.Add(i);
        }

        var defaults = policies.Where(p => p.Default is not null).ToList();
        ProxyOrigins = [.. defaults.Select(p => PolicyOrigin.Of(p, "default", 0))];
        Proxy = defaults.Count == 0 ? null : JsonMerge.Merge(defaults.Select(p => p.Default!), merge);
    }

    /// <param name="selectedSorted">The output of <see cref="PolicyMatcher.Select"/> for this proxy.</param>
    /// <param name="cache">Merges shared with other proxies evaluated against the same parsed policies.</param>
    /// <param name="routes">The routes the selection was made with, which policies aimed at a route configure.</param>
    public static MergedRules Build(ProxyFacts proxy, IReadOnlyList<PolicyItem> selectedSorted, MergeRules merge, MergeCache? cache = null, RouteTargets? routes = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(selectedSorted);
        ArgumentNullException.ThrowIfNull(merge);
        return new MergedRules(proxy, [.. selectedSorted], merge, cache ?? new MergeCache(), routes ?? RouteTargets.None);
    }

    /// <summary>The policies this result was built from, least specific first.</summary>
    public ImmutableArray<PolicyItem> Policies => _policies;

    /// <summary>Merged top-level <c>default</c> (policies with a single conf, e.g. MeshTrace, MeshProxyPatch).</summary>
    public JsonObject? Proxy { get; }

    public ImmutableArray<PolicyOrigin> ProxyOrigins { get; }

    /// <summary>Merged <c>to</c> confs that apply to the outbound whose <c>kuma.io/service</c> is <paramref name="service"/>.</summary>
    public JsonObject? ToService(string service) => OutboundFor(service).Confs is { IsEmpty: false } confs ? confs[0] : null;

    /// <summary>Every group of a split merge (MeshHTTPRoute by hostname); one element for other types.</summary>
    public ImmutableArray<JsonObject> ToServiceAll(string service) => OutboundFor(service).Confs;

    /// <summary>The <c>to</c> entries that contributed to <see cref="ToService"/>, in merge order.</summary>
    public ImmutableArray<PolicyOrigin> ToServiceOrigins(string service) => OutboundFor(service).Origins;

    /// <summary>The confs of the <c>to</c> entries that make up <see cref="ToService"/>, each with its origin, in merge order.</summary>
    public IEnumerable<(JsonObject Conf, PolicyOrigin Origin)> ToServiceEntries(string service)
    {
        var outbound = OutboundFor(service);
        return outbound.EntryConfs.Zip(outbound.Origins);
    }

    /// <summary>
    /// Confs of single routes on the outbound to <paramref name="service"/>, for policies aimed at the MeshHTTPRoute
    /// whose rules made them: per route name (the hash of the rule's matches), in order of first appearance, the
    /// merge of every entry that applies to the service (as in <see cref="ToService"/>) and of the entries aimed at
    /// that rule, in policy order. Routes not listed take <see cref="ToService"/>.
    /// </summary>
    public ImmutableArray<RouteConf> ToServiceRoutes(string service) => RoutesFor(service).Select(r => r.Conf).ToImmutableArray();

    /// <summary>The entries that contributed to one route's conf in <see cref="ToServiceRoutes"/>, in merge order.</summary>
    public ImmutableArray<PolicyOrigin> ToServiceRouteOrigins(string service, string routeName) =>
        RoutesFor(service).FirstOrDefault(r => r.Conf.RouteName == routeName)?.Origins ?? [];

    /// <summary>The confs and origins of the entries merged into one route's conf, in merge order.</summary>
    public IEnumerable<(JsonObject Conf, PolicyOrigin Origin)> ToServiceRouteEntries(string service, string routeName) =>
        RoutesFor(service).FirstOrDefault(r => r.Conf.RouteName == routeName) is { } route ? route.EntryConfs.Zip(route.Origins) : [];

    /// <summary>
    /// Kuma's tag-subset view of the <c>to</c> entries (as its inspect API lists them): one rule per distinct
    /// destination subset, most specific first. Entries aimed at a route rule appear under the route's destination
    /// and the rule's matches hash (<see cref="RouteRule.MatchesHashTag"/>).
    /// </summary>
    public ImmutableArray<SubsetRule> ToSubsets() =>
        SubsetRules.Build([.. _outbound.Select(e => new SubsetRules.Entry(e.Rule?.AsSubset() ?? e.TargetRef, e.Conf, e.Origin))], withNegations: false, _merge);

    /// <summary>Merged <c>from</c> / <c>rules</c> of the policies that select this inbound.</summary>
    public InboundRules ForInbound(InboundFacts inbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        return _byInbound.GetOrAdd((inbound.SectionName, inbound.Port), BuildInbound);
    }

    private sealed record Outbound(ImmutableArray<JsonObject> Confs, ImmutableArray<PolicyOrigin> Origins, ImmutableArray<JsonObject> EntryConfs);

    private Outbound Merged(ImmutableArray<JsonObject> confs, ImmutableArray<PolicyOrigin> origins) =>
        new(_cache.MergeAll(confs, _merge), origins, confs);

    private sealed record RouteRules(RouteConf Conf, ImmutableArray<PolicyOrigin> Origins, ImmutableArray<JsonObject> EntryConfs);

    /// <summary>A <c>to</c> entry; <paramref name="Rule"/> is set when its policy is aimed at a route, and says which rule it configures.</summary>
    private sealed record OutboundEntry(TargetRef TargetRef, JsonObject Conf, PolicyOrigin Origin, RouteRule? Rule = null);

    private Outbound OutboundFor(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return _byService.GetOrAdd(service, s =>
        {
            var named = _outboundByName.GetValueOrDefault(s) ?? [];
            var applying = named.Concat(_outboundAnyName).Order().Select(i => _outbound[i])
                .Where(e => AppliesToService(e.TargetRef, s)).ToList();
            return applying.Count == 0
                ? new Outbound([], [], [])
                : Merged([.. applying.Select(e => e.Conf)], [.. applying.Select(e => e.Origin)]);
        });
    }

    private ImmutableArray<RouteRules> RoutesFor(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!_hasRouteEntries) return [];
        return _routesByService.GetOrAdd(service, s =>
        {
            var routeNames = _outbound.Where(e => e.Rule?.Reaches(s) == true).Select(e => e.Rule!.RouteName).Distinct(StringComparer.Ordinal);
            return [.. routeNames.Select(name =>
            {
                var applying = _outbound.Where(e => e.Rule is { } rule ? rule.RouteName == name && rule.Reaches(s) : AppliesToService(e.TargetRef, s)).ToList();
                // Never empty: the rule's own entries apply. Shared merges keep equal route confs the same objects across groups.
                ImmutableArray<JsonObject> entryConfs = [.. applying.Select(e => e.Conf)];
                return new RouteRules(new RouteConf(name, _cache.MergeAll(entryConfs, _merge)[0]), [.. applying.Select(e => e.Origin)], entryConfs);
            })];
        });
    }

    /// <summary>
    /// Kuma's service-tag ("legacy") outbound rules: every <c>to</c> entry in policy order, then in list order;
    /// the entry's own kind does not reorder it. A policy aimed at a route contributes each of its entries once per
    /// rule of the route (for each of the route's destinations), scoped to that rule; the entry's own targetRef
    /// plays no part. Policies with <c>to</c> entries aimed at a route are left out, as Kuma does here.
    /// </summary>
    private static IEnumerable<OutboundEntry> LegacyOutboundEntries(ImmutableArray<PolicyItem> policies, RouteTargets routes)
    {
        foreach (var policy in policies)
        {
            if (policy.To.Any(t => t.TargetRef.Kind == MeshHTTPRoute)) continue;
            if (policy.EffectiveTargetRef.Kind == MeshHTTPRoute)
            {
                // A policy whose route is gone was not selected; nothing to expand if one slips through.
                foreach (var rule in routes.Find(policy.EffectiveTargetRef.Name)?.Rules ?? [])
                {
                    for (var i = 0; i < policy.To.Length; i++)
                        yield return new OutboundEntry(rule.Destination, policy.To[i].Conf, PolicyOrigin.Of(policy, "to", i), rule);
                }
                continue;
            }
            for (var i = 0; i < policy.To.Length; i++)
            {
                yield return new OutboundEntry(policy.To[i].TargetRef, policy.To[i].Conf, PolicyOrigin.Of(policy, "to", i));
            }
        }
    }

    /// <summary>An entry applies when everything it selects is implied by <c>kuma.io/service: service</c>.</summary>
    private static bool AppliesToService(TargetRef to, string service)
    {
        bool OnlyService(Dictionary<string, string>? tags) =>
            tags is null || tags.All(t => t.Key == PolicyLabels.ServiceTag && t.Value == service);
        return to.Kind switch
        {
            Mesh => true,
            MeshSubset => OnlyService(to.Tags),
            MeshService => to.Name == service,
            MeshServiceSubset => to.Name == service && OnlyService(to.Tags),
            _ => false,
        };
    }

    private InboundRules BuildInbound((string SectionName, uint Port) inbound)
    {
        var selecting = _inboundSelections
            .Where(s => s.Inbounds.Any(i => i.SectionName == inbound.SectionName && i.Port == inbound.Port))
            .Select(s => s.Policy)
            .OrderBy(p => p, Comparer<PolicyItem>.Create(PolicyOrder.Inbound))
            .ToList();
        if (selecting.Count == 0) return InboundRules.Empty;

        var rules = new List<InboundRule>();
        var from = new List<FromRule>();
        foreach (var policy in selecting)
        {
            for (var i = 0; i < policy.From.Length; i++)
            {
                from.Add(new FromRule(policy.From[i].TargetRef, policy.From[i].Conf, PolicyOrigin.Of(policy, "from", i)));
            }
            if (policy.Rules.Length > 0)
            {
                for (var i = 0; i < policy.Rules.Length; i++)
                {
                    var origin = PolicyOrigin.Of(policy, "rules", i);
                    var entry = policy.Rules[i];
                    if (entry.Matches.IsEmpty) rules.Add(new InboundRule(null, entry.Conf, origin));
                    foreach (var match in entry.Matches) rules.Add(new InboundRule(match, entry.Conf, origin));
                }
            }
            else if (_merge.FromAsRules)
            {
                for (var i = 0; i < policy.From.Length; i++)
                {
                    rules.Add(new InboundRule(null, policy.From[i].Conf, PolicyOrigin.Of(policy, "from", i)));
                }
            }
        }
        var ordered = rules.OrderBy(r => r.Match, Comparer<Match?>.Create(MatchOrder.Compare)).ToImmutableArray();
        var catchAll = ordered.Where(r => r.Match is null).ToList();
        return new InboundRules(
            catchAll.Count == 0 ? null : JsonMerge.Merge(catchAll.Select(r => r.Conf), _merge),
            [.. ordered.Where(r => r.Match is not null).Select(r => (ImmutableArray.Create(r.Match!), r.Conf))])
        {
            ConfOrigins = [.. catchAll.Select(r => r.Origin)],
            Rules = ordered,
            From = [.. from],
        };
    }
}
