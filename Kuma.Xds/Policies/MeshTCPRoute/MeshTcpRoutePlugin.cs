using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshTcpRoute;

/// <summary>
/// MeshTCPRoute on a sidecar's outbounds, as Kuma 2.x generates them. It routes every outbound that does not speak
/// HTTP, and an HTTP one only when a MeshTCPRoute applies to it and no MeshHTTPRoute does (Kuma's precedence, decided
/// through <see cref="OutboundTarget.RoutedBy"/>); such an outbound's connection manager becomes a TCP proxy. The
/// clusters are declared to the pipeline, split clusters for subsets included; the listener's TCP proxy sends to
/// one of them, or weighs several. A proxyless gRPC client has no TCP proxy: it is left alone.
/// </summary>
public sealed class MeshTcpRoutePlugin : PolicyPlugin<MeshTcpRouteConf>
{
    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshTcpRouteConf conf) =>
        [new("rules", "gRPC's xDS client routes calls, not connections: it has no TCP proxy, so only MeshHTTPRoute routes a proxyless client")];

    protected override bool RoutesOutbound(OutboundTarget target, MeshTcpRouteConf conf) => true;

    protected override IEnumerable<ClusterRef>? OutboundClusters(OutboundTarget target, MeshTcpRouteConf? conf, Func<string, string> protocolOf)
    {
        if (!Routes(target)) return null;
        return TcpBackends.Plan(target, conf, cluster => TcpBackends.SpeaksTcp(protocolOf(cluster.Service)))?.Select(b => b.Cluster);
    }

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshTcpRouteConf? conf)
    {
        if (!Routes(target) || TcpBackends.Plan(target, conf, target.Clusters.Contains) is not { } backends) return;
        foreach (var chain in listener.FilterChains)
        {
            var at = chain.Filters.ToList().FindIndex(f => f.Name is EnvoyBuild.HttpConnectionManagerFilter or EnvoyBuild.TcpProxyFilter);
            if (at < 0) continue;
            chain.Filters.RemoveAt(at);
            // Nothing left to send to: Kuma's TCP proxy is then left out, and the chain closes connections.
            if (backends.Count > 0) chain.Filters.Insert(at, TcpProxy(EnvoyNames.Sanitize(target.Service), backends));
        }
    }

    private static bool Routes(OutboundTarget target) =>
        !target.Proxyless && (target.RoutedBy is { } owner ? owner == MeshTcpRoutePolicy.Descriptor.Name : !EnvoyBuild.IsHttp(target.Protocol));

    private static Filter TcpProxy(string statPrefix, List<TcpBackend> backends)
    {
        var proxy = new TcpProxy { StatPrefix = statPrefix };
        if (backends is [var only])
        {
            proxy.Cluster = only.Cluster.Name;
        }
        else
        {
            var weighted = new TcpProxy.Types.WeightedCluster();
            foreach (var backend in backends)
                weighted.Clusters.Add(new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = backend.Cluster.Name, Weight = backend.Weight });
            proxy.WeightedClusters = weighted;
        }
        return new Filter { Name = EnvoyBuild.TcpProxyFilter, TypedConfig = Any.Pack(proxy) };
    }
}
