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
        if (conf is not null) ConfigureListener(listener, conf, NoRoutes);
    }

    /// <summary>
    /// Routes made from rules of a MeshHTTPRoute that a MeshTimeout is aimed at get their request and stream idle
    /// timeouts from their own conf; the rest of the listener, and the other routes, from the outbound's conf.
    /// </summary>
    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshTimeoutConf? conf, IReadOnlyDictionary<string, MeshTimeoutConf> routes) =>
        ConfigureListener(listener, conf, routes);

    protected override void InboundListener(Listener listener, InboundTarget target, MeshTimeoutConf? conf)
    {
        if (conf is not null) ConfigureListener(listener, conf, NoRoutes);
    }

    private static readonly IReadOnlyDictionary<string, MeshTimeoutConf> NoRoutes = new Dictionary<string, MeshTimeoutConf>();

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

    /// <param name="conf">Null when only some routes have a conf: the listener's own timeouts then stay as they are.</param>
    private static void ConfigureListener(Listener listener, MeshTimeoutConf? conf, IReadOnlyDictionary<string, MeshTimeoutConf> routes)
    {
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                foreach (var host in hcm.RouteConfig?.VirtualHosts ?? [])
                {
                    foreach (var route in host.Routes)
                    {
                        if (route.Route_ is not { } action || (routes.GetValueOrDefault(route.Name) ?? conf) is not { } routeConf) continue;
                        action.Timeout = Duration(routeConf.Http?.RequestTimeout, DefaultRequestTimeout);
                        if (routeConf.Http?.StreamIdleTimeout is { } idle) action.IdleTimeout = Duration(idle, DefaultStreamIdleTimeout);
                        else action.IdleTimeout ??= Duration(null, DefaultStreamIdleTimeout);
                    }
                }
                if (conf is not null) hcm.RequestHeadersTimeout = Duration(conf.Http?.RequestHeadersTimeout, TimeSpan.Zero);
                // Kuma leaves the idle timeout to clusters whenever MeshTimeout touches an HTTP outbound.
                (hcm.CommonHttpProtocolOptions ??= new CoreHttpOptions()).IdleTimeout = Duration(null, TimeSpan.Zero);
            });
            if (conf is null) continue;
            EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp =>
                tcp.IdleTimeout = Duration(conf.IdleTimeout, DefaultIdleTimeout));
        }
    }

    private static Google.Protobuf.WellKnownTypes.Duration Duration(string? text, TimeSpan fallback) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Kuma.Validation.Durations.TryParse(text, out var value) ? value : fallback);
}
