using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;
using CoreHttpOptions = Envoy.Config.Core.V3.HttpProtocolOptions;

namespace Kuma.Policies.MeshTimeout;

/// <summary>
/// MeshTimeout as Kuma applies it: connect and HTTP connection timeouts on clusters, request and stream
/// idle timeouts on routes, request-headers timeout on the connection manager, idle timeout on TCP proxies.
/// A value the merged conf leaves out takes Kuma's default for it.
/// </summary>
public sealed class MeshTimeoutPlugin : PolicyPlugin<MeshTimeoutConf>
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultStreamIdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(15);

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshTimeoutConf conf) => MeshTimeoutProxyless.Gaps(conf);

    protected override void OutboundCluster(Cluster cluster, OutboundTarget target, MeshTimeoutConf? conf)
    {
        if (conf is not null) ConfigureCluster(cluster, target.Protocol, conf);
    }

    protected override void InboundCluster(Cluster cluster, InboundTarget target, MeshTimeoutConf? conf)
    {
        if (conf is not null) ConfigureCluster(cluster, target.Protocol, conf);
    }

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshTimeoutConf? conf)
    {
        if (conf is not null) ConfigureListener(listener, conf);
    }

    protected override void InboundListener(Listener listener, InboundTarget target, MeshTimeoutConf? conf)
    {
        if (conf is not null) ConfigureListener(listener, conf);
    }

    private static void ConfigureCluster(Cluster cluster, string protocol, MeshTimeoutConf conf)
    {
        cluster.ConnectTimeout = Duration(conf.ConnectionTimeout, DefaultConnectTimeout);
        // Kuma sets the upstream HTTP options for http and http2 clusters only (not grpc).
        if (protocol is not ("http" or "http2")) return;
        EnvoyEdit.UpdateUpstreamHttpOptions(cluster, options =>
        {
            var common = options.CommonHttpProtocolOptions ??= new CoreHttpOptions();
            common.IdleTimeout = Duration(conf.IdleTimeout, DefaultIdleTimeout);
            common.MaxStreamDuration = Duration(conf.Http?.MaxStreamDuration, TimeSpan.Zero);
            common.MaxConnectionDuration = Duration(conf.Http?.MaxConnectionDuration, TimeSpan.Zero);
        });
    }

    private static void ConfigureListener(Listener listener, MeshTimeoutConf conf)
    {
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                foreach (var host in hcm.RouteConfig?.VirtualHosts ?? [])
                {
                    foreach (var route in host.Routes)
                    {
                        if (route.Route_ is not { } action) continue;
                        action.Timeout = Duration(conf.Http?.RequestTimeout, DefaultRequestTimeout);
                        if (conf.Http?.StreamIdleTimeout is { } idle) action.IdleTimeout = Duration(idle, DefaultStreamIdleTimeout);
                        else action.IdleTimeout ??= Duration(null, DefaultStreamIdleTimeout);
                    }
                }
                hcm.RequestHeadersTimeout = Duration(conf.Http?.RequestHeadersTimeout, TimeSpan.Zero);
                (hcm.CommonHttpProtocolOptions ??= new CoreHttpOptions()).IdleTimeout = Duration(null, TimeSpan.Zero);
            });
            EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp =>
                tcp.IdleTimeout = Duration(conf.IdleTimeout, DefaultIdleTimeout));
        }
    }

    private static Google.Protobuf.WellKnownTypes.Duration Duration(string? text, TimeSpan fallback) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Kuma.Validation.Durations.TryParse(text, out var value) ? value : fallback);
}
