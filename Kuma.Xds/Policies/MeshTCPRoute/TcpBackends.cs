using Kuma.Xds.Generation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTcpRoute;

/// <summary>A cluster with its share of an outbound's connections.</summary>
internal sealed record TcpBackend(ClusterRef Cluster, uint Weight);

/// <summary>
/// Where an outbound's connections go, as Kuma's MeshTCPRoute decides it: without a route, to the outbound itself
/// (its tags narrowing it to a split cluster) with weight 100; with a route but no rule, to the route's own
/// destination with weight 1; otherwise to the rule's backends. Backends with weight 0 or that the caller cannot
/// reach over TCP (see <c>routable</c>) are dropped, possibly all of them.
/// </summary>
internal static class TcpBackends
{
    private const uint OutboundWeight = 100;
    private const uint RouteDestinationWeight = 1;

    /// <summary>
    /// The backends, or null when the route names none this control plane can resolve (Kuma then leaves the
    /// outbound to the other generators, which here means its default listener).
    /// </summary>
    public static List<TcpBackend>? Plan(OutboundTarget target, MeshTcpRouteConf? conf, Func<ClusterRef, bool> routable)
    {
        List<TcpBackend> resolved;
        if (conf is null)
            resolved = [new TcpBackend(ClusterRef.Of(target.Service, target.Tags.Values), OutboundWeight)];
        else if (conf.Rules is not [var rule, ..])
            // The legacy rules apply a `to` entry to an outbound only when it names that very service.
            resolved = [new TcpBackend(ClusterRef.Whole(target.Service), RouteDestinationWeight)];
        else
            resolved = [.. (rule.Default?.BackendRefs ?? []).Select(Resolve).OfType<TcpBackend>()];
        if (resolved.Count == 0) return null;
        return [.. resolved.Where(b => b.Weight > 0 && routable(b.Cluster))];
    }

    /// <summary>Kuma proxies TCP to services of every protocol it knows except TLS passthrough.</summary>
    public static bool SpeaksTcp(string protocol) => protocol != "tls";

    /// <summary>
    /// A backend by service tag: MeshService by name, or MeshServiceSubset by name and tags. MeshService by port or
    /// section, MeshExternalService and MeshMultiZoneService need resources this control plane does not have, and
    /// cross-mesh subsets (a <c>kuma.io/mesh</c> tag) are not supported: they resolve to nothing.
    /// </summary>
    private static TcpBackend? Resolve(BackendRef backend)
    {
        var byTag = backend.Kind switch
        {
            MeshService => backend.Port is null && string.IsNullOrEmpty(backend.SectionName),
            MeshServiceSubset => true,
            _ => false,
        };
        if (!byTag || backend.Name is not { Length: > 0 } service || backend.Tags?.ContainsKey("kuma.io/mesh") == true) return null;
        return new TcpBackend(ClusterRef.Of(service, backend.Tags), backend.Weight ?? 1);
    }
}
