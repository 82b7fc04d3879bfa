using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// MeshHTTPRoute on a sidecar's HTTP outbounds, as Kuma 2.x generates them: the listener's routes come
/// from the merged route rules (or just the catch-all route when there are none), and the clusters they
/// send traffic to, subsets included, are declared to the pipeline so the proxy gets exactly those.
/// Both steps plan the routes the same way; the listener step keeps the backends the pipeline built
/// clusters for, which are the ones whose service speaks HTTP.
/// </summary>
public sealed class MeshHttpRoutePlugin : PolicyPlugin<MeshHttpRouteConf>
{
    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshHttpRouteConf conf) => MeshHttpRouteProxyless.Gaps(target, conf);

    /// <summary>Any MeshHTTPRoute for an HTTP outbound routes it, even where a MeshTCPRoute applies too (as in Kuma).</summary>
    protected override bool RoutesOutbound(OutboundTarget target, MeshHttpRouteConf conf) => EnvoyBuild.IsHttp(target.Protocol);

    protected override IEnumerable<ClusterRef>? OutboundClusters(OutboundTarget target, MeshHttpRouteConf? conf, Func<string, string> protocolOf)
    {
        if (!EnvoyBuild.IsHttp(target.Protocol)) return null;
        bool Routable(ClusterRef cluster) => EnvoyBuild.IsHttp(protocolOf(cluster.Service));
        return [.. OutboundRoutes.Clusters(OutboundRoutes.Plan(target, conf, Routable), Routable)];
    }

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshHttpRouteConf? conf)
    {
        if (!EnvoyBuild.IsHttp(target.Protocol)) return;
        var routes = OutboundRoutes.Plan(target, conf, target.Clusters.Contains);
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                if (hcm.RouteConfig?.VirtualHosts is not [var host, ..]) return;
                host.Routes.Clear();
                foreach (var route in routes) host.Routes.AddRange(EnvoyRoutes.Build(route, target.Clusters.Contains));
            });
        }
    }
}
