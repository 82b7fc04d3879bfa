using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshRetry;

/// <summary>
/// MeshRetry as Kuma applies it to a sidecar's outbounds: a tcp service's proxy gets its connect attempts,
/// every route of an http or grpc service gets the retry policy of the matching section (replacing any it had).
/// </summary>
public sealed class MeshRetryPlugin : PolicyPlugin<MeshRetryConf>
{
    private static readonly IReadOnlyDictionary<string, MeshRetryConf> NoRoutes = new Dictionary<string, MeshRetryConf>();

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshRetryConf conf) => MeshRetryProxyless.Gaps(target, conf);

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshRetryConf? conf) =>
        OutboundListener(listener, target, conf, NoRoutes);

    /// <summary>
    /// A route made from a rule of a MeshHTTPRoute that a MeshRetry is aimed at gets the retry policy of its own
    /// conf; when that conf gives none (no section for the protocol, or zero retries), the outbound's, as in Kuma.
    /// </summary>
    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshRetryConf? conf, IReadOnlyDictionary<string, MeshRetryConf> routes)
    {
        if (conf is null && routes.Count == 0) return;
        foreach (var chain in listener.FilterChains)
        {
            if (target.Protocol == "tcp" && conf?.Tcp?.MaxConnectAttempt is { } attempts)
            {
                EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp => tcp.MaxConnectAttempts = attempts);
                continue;
            }
            var outboundPolicy = conf is null ? null : RetryPolicies.For(conf, target.Protocol);
            if (outboundPolicy is null && routes.Count == 0) continue;
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                foreach (var route in (hcm.RouteConfig?.VirtualHosts ?? []).SelectMany(host => host.Routes))
                {
                    var policy = (routes.TryGetValue(route.Name, out var routeConf) ? RetryPolicies.For(routeConf, target.Protocol) : null) ?? outboundPolicy;
                    if (policy is not null && route.Route_ is { } action) action.RetryPolicy = policy.Clone();
                }
            });
        }
    }
}
