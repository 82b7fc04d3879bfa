using System.Collections.Immutable;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.Rules;

/// <summary>Decides which policies' top-level targetRef selects a proxy, and which of its inbounds.</summary>
public static class PolicyMatcher
{
    /// <summary>The policies of one type that select this proxy, least specific first (ties as Kuma breaks them).</summary>
    /// <param name="routes">The mesh's MeshHTTPRoutes, through which policies aimed at a route select proxies.</param>
    public static ImmutableArray<PolicyItem> Select(ProxyFacts proxy, IReadOnlyList<PolicyItem> policies, RouteTargets? routes = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(policies);
        var selected = new List<PolicyItem>();
        foreach (var policy in policies)
        {
            if (!policy.IsShadow && Selects(proxy, policy, routes))
            {
                selected.Add(policy);
            }
        }
        // A stable sort keeps equal-ranked policies with equal names in input order, so the result is deterministic.
        return [.. selected.OrderBy(p => p, Comparer<PolicyItem>.Create(PolicyOrder.Policies))];
    }

    /// <summary>True when the policy configures this proxy: it selects an inbound or a delegated gateway.</summary>
    public static bool Selects(ProxyFacts proxy, PolicyItem policy, RouteTargets? routes = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (Selector(policy, routes) is not { } top) return false;
        var selection = SelectedInbounds(proxy, top);
        return selection.Inbounds.Length > 0 || selection.DelegatedGateway || (proxy.Inbounds.IsEmpty && SelectsWholeProxy(proxy, top));
    }

    /// <summary>
    /// Kuma requires an inbound on every sidecar, so it selects through inbounds. Proxyless gRPC clients often
    /// have none (or no Dataplane at all); what selects a whole proxy (Mesh, or Dataplane by name or labels
    /// without a section) still selects them, so mesh-wide defaults reach them too.
    /// </summary>
    private static bool SelectsWholeProxy(ProxyFacts proxy, TargetRef top) => top.Kind switch
    {
        Mesh => ProxyTypeAllowed(proxy, top),
        Dataplane => string.IsNullOrEmpty(top.SectionName) && proxy.BuiltinGatewayName is null
            && ((string.IsNullOrEmpty(top.Name) && top.Labels is null)
                || (!string.IsNullOrEmpty(top.Name) && top.Name == proxy.Name)
                || (top.Labels is { } labels && labels.All(l => proxy.Labels.TryGetValue(l.Key, out var v) && v == l.Value))),
        _ => false,
    };

    /// <summary>The inbounds a policy's top-level targetRef selects (these receive its from/rules entries).</summary>
    public static ImmutableArray<InboundFacts> InboundsSelectedBy(ProxyFacts proxy, PolicyItem policy, RouteTargets? routes = null) =>
        Selector(policy, routes) is { } top ? SelectedInbounds(proxy, top).Inbounds : [];

    /// <summary>
    /// What selects proxies for the policy: its top-level targetRef, or for one aimed at a MeshHTTPRoute, that
    /// route's own (the policy configures the route wherever the route is used). Null when the route does not exist.
    /// </summary>
    private static TargetRef? Selector(PolicyItem policy, RouteTargets? routes)
    {
        var top = policy.EffectiveTargetRef;
        if (top.Kind != MeshHTTPRoute) return top;
        // A route cannot itself be aimed at a route (validation forbids it); such a chain selects nothing.
        if ((routes ?? RouteTargets.None).Find(top.Name) is not { TargetRef: not { Kind: MeshHTTPRoute } } route) return null;
        return route.TargetRef ?? MeshWide;
    }

    private static readonly TargetRef MeshWide = new() { Kind = Mesh };

    private readonly record struct Selection(ImmutableArray<InboundFacts> Inbounds, bool DelegatedGateway)
    {
        public static readonly Selection None = new([], false);
    }

    private static Selection SelectedInbounds(ProxyFacts proxy, TargetRef top)
    {
        switch (top.Kind)
        {
            case Mesh:
                return ProxyTypeAllowed(proxy, top) ? ByTags(proxy, null) : Selection.None;
            case MeshSubset:
                return ProxyTypeAllowed(proxy, top) ? ByTags(proxy, top.Tags) : Selection.None;
            case MeshService:
                return ByTags(proxy, ServiceSelector(top));
            case MeshServiceSubset:
                var tags = ServiceSelector(top);
                foreach (var (k, v) in top.Tags ?? new Dictionary<string, string>()) tags[k] = v;
                return ByTags(proxy, tags);
            case Dataplane:
                return ByDataplane(proxy, top);
            case MeshGateway:
                if (proxy.BuiltinGatewayName is null || proxy.BuiltinGatewayName != top.Name) return Selection.None;
                return ByTags(proxy, top.Tags) with { DelegatedGateway = false };
            default:
                // MeshHTTPRoute was resolved to the route's own targetRef before; other kinds cannot be top-level.
                return Selection.None;
        }
    }

    private static Dictionary<string, string> ServiceSelector(TargetRef top) =>
        new(StringComparer.Ordinal) { [PolicyLabels.ServiceTag] = top.Name ?? "" };

    private static bool ProxyTypeAllowed(ProxyFacts proxy, TargetRef top) =>
        top.ProxyTypes is not { Count: > 0 } types || types.Contains(proxy.ProxyType);

    private static Selection ByTags(ProxyFacts proxy, IReadOnlyDictionary<string, string>? selector)
    {
        var inbounds = proxy.Inbounds.Where(i => TagsMatch(selector, i.Tags)).ToImmutableArray();
        var gateway = proxy.DelegatedGatewayTags is { } gwTags && TagsMatch(selector, gwTags);
        return new Selection(inbounds, gateway);
    }

    private static Selection ByDataplane(ProxyFacts proxy, TargetRef top)
    {
        // Kind Dataplane never reaches a builtin gateway; its listeners are chosen through MeshGateway.
        if (proxy.BuiltinGatewayName is not null) return Selection.None;
        var everyDataplane = string.IsNullOrEmpty(top.Name) && string.IsNullOrEmpty(top.Namespace) && top.Labels is null;
        var byName = !string.IsNullOrEmpty(top.Name) && top.Name == proxy.Name;
        var byLabels = top.Labels is { } labels && labels.All(l => proxy.Labels.TryGetValue(l.Key, out var v) && v == l.Value);
        if (!everyDataplane && !byName && !byLabels) return Selection.None;
        var section = top.SectionName;
        var inbounds = proxy.Inbounds.Where(i => string.IsNullOrEmpty(section) || i.SectionName == section).ToImmutableArray();
        return new Selection(inbounds, proxy.DelegatedGatewayTags is not null);
    }

    /// <summary>Kuma's tag selector: every selector tag present with an equal value, or <c>*</c> for any value.</summary>
    internal static bool TagsMatch(IReadOnlyDictionary<string, string>? selector, IReadOnlyDictionary<string, string> tags)
    {
        if (selector is null) return true;
        foreach (var (key, value) in selector)
        {
            if (!tags.TryGetValue(key, out var actual) || (value != actual && value != "*")) return false;
        }
        return true;
    }
}
