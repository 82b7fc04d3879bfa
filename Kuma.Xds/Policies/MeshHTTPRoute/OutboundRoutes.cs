using Kuma.Xds.Generation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>A cluster with its share of a route's traffic.</summary>
internal sealed record WeightedBackend(ClusterRef Cluster, uint Weight);

/// <summary>One route of an outbound listener as Kuma plans it, before it becomes Envoy routes.</summary>
internal sealed record PlannedRoute(string Name, HttpRouteMatch Match, IReadOnlyList<HttpRouteFilter> Filters, IReadOnlyList<WeightedBackend> Backends);

/// <summary>
/// Turns the merged rules of an outbound into its routes the way Kuma does: one route per match, stably
/// sorted by <see cref="MatchOrder"/>; a catch-all <c>PathPrefix /</c> route appended unless a rule has
/// exactly that match; a match without a path matches every path; a rule without backends sends traffic
/// to the outbound itself. Backends the caller cannot route to (see <c>routable</c>) or with weight 0 are
/// dropped, and a route left without any is dropped too.
/// </summary>
internal static class OutboundRoutes
{
    private const uint DefaultBackendWeight = 100;

    public static List<PlannedRoute> Plan(OutboundTarget target, MeshHttpRouteConf? conf, Func<ClusterRef, bool> routable)
    {
        var candidates = new List<PlannedRoute>();
        foreach (var rule in conf?.Rules ?? [])
        {
            var name = RouteNames.Of(rule.Matches);
            var filters = rule.Default?.Filters ?? [];
            var backends = (rule.Default?.BackendRefs ?? []).Select(Resolve).OfType<WeightedBackend>().ToList();
            foreach (var match in rule.Matches ?? []) candidates.Add(new PlannedRoute(name, match, filters, backends));
        }
        var routes = candidates.OrderBy(r => r.Match, MatchOrder.Instance).ToList();
        if (!routes.Any(r => IsCatchAll(r.Match)))
        {
            var catchAll = CatchAll();
            routes.Add(new PlannedRoute(RouteNames.Of([catchAll]), catchAll, [], []));
        }

        var defaultBackend = new WeightedBackend(ClusterRef.Of(target.Service, target.Tags.Values), DefaultBackendWeight);
        var planned = new List<PlannedRoute>(routes.Count);
        foreach (var route in routes)
        {
            var backends = (route.Backends.Count == 0 ? [defaultBackend] : route.Backends)
                .Where(b => b.Weight > 0 && routable(b.Cluster)).ToList();
            if (backends.Count == 0) continue;
            var match = route.Match.Path is null ? WithPath(route.Match, CatchAll().Path!) : route.Match;
            planned.Add(route with { Match = match, Backends = backends });
        }
        return planned;
    }

    /// <summary>The clusters a plan sends traffic to, mirrors included (those the caller can route to).</summary>
    public static IEnumerable<ClusterRef> Clusters(IEnumerable<PlannedRoute> routes, Func<ClusterRef, bool> routable)
    {
        foreach (var route in routes)
        {
            foreach (var backend in route.Backends) yield return backend.Cluster;
            foreach (var filter in route.Filters)
            {
                if (MirrorCluster(filter) is { } mirror && routable(mirror)) yield return mirror;
            }
        }
    }

    /// <summary>The cluster a mirror filter copies requests to.</summary>
    public static ClusterRef? MirrorCluster(HttpRouteFilter filter) =>
        filter.Type == MeshHttpRoutePolicy.RequestMirror && filter.RequestMirror?.BackendRef is { } backend ? Legacy(backend) : null;

    /// <summary>
    /// A backend by service tag: MeshService by name, or MeshServiceSubset by name and tags. References to
    /// MeshService resources (by port or section), MeshExternalService and MeshMultiZoneService need those
    /// resources, which this control plane does not have: they resolve to nothing, as unknown resources do in Kuma.
    /// </summary>
    private static WeightedBackend? Resolve(BackendRef backend)
    {
        var byTag = backend.Kind switch
        {
            MeshService => backend.Port is null && string.IsNullOrEmpty(backend.SectionName),
            MeshServiceSubset => true,
            _ => false,
        };
        return byTag && Legacy(backend) is { } cluster ? new WeightedBackend(cluster, backend.Weight ?? 1) : null;
    }

    /// <summary>Cross-mesh subsets (a <c>kuma.io/mesh</c> tag) are not supported: nothing to route to.</summary>
    private static ClusterRef? Legacy(BackendRef backend) =>
        backend.Name is { Length: > 0 } service && backend.Tags?.ContainsKey("kuma.io/mesh") != true
            ? ClusterRef.Of(service, backend.Tags)
            : null;

    private static HttpRouteMatch CatchAll() => new() { Path = new HttpPathMatch { Type = "PathPrefix", Value = "/" } };

    private static bool IsCatchAll(HttpRouteMatch match) =>
        match is { Method: null, QueryParams: null, Headers: null, Path: { Type: "PathPrefix", Value: "/" } };

    private static HttpRouteMatch WithPath(HttpRouteMatch match, HttpPathMatch path) => new()
    {
        Path = path,
        Method = match.Method,
        QueryParams = match.QueryParams,
        Headers = match.Headers,
    };
}
