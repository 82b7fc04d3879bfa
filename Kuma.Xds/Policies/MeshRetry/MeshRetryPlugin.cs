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
    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshRetryConf conf) => MeshRetryProxyless.Gaps(target, conf);

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshRetryConf? conf)
    {
        if (conf is null) return;
        foreach (var chain in listener.FilterChains)
        {
            if (target.Protocol == "tcp" && conf.Tcp?.MaxConnectAttempt is { } attempts)
            {
                EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp => tcp.MaxConnectAttempts = attempts);
                continue;
            }
            if (RetryPolicies.For(conf, target.Protocol) is not { } policy) continue;
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
            {
                foreach (var route in (hcm.RouteConfig?.VirtualHosts ?? []).SelectMany(host => host.Routes))
                {
                    if (route.Route_ is { } action) action.RetryPolicy = policy.Clone();
                }
            });
        }
    }
}
