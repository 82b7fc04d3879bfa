using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshTrace;

/// <summary>
/// MeshTrace as Kuma applies it to a sidecar: the merged <c>default</c> puts the same tracing block (sampling, tags,
/// one tracer) on the HTTP connection manager of every inbound and outbound listener, and the proxy gets one cluster
/// for the collector.
/// </summary>
/// <remarks>
/// Spans carry the proxy's mesh and zone, and Datadog and OpenTelemetry tracers name its service, so the listener
/// hooks read that much of the proxy's identity (<see cref="IdentityRead"/>): with Zipkin, listeners stay shared
/// between all proxies of a zone; with the others, between proxies of one service in one zone; and between all
/// proxies where no MeshTrace applies. The collector's cluster, once per proxy, is added in the
/// proxy-wide step. Not done: OpenTelemetry <c>backendRef</c>s (no MeshOpenTelemetryBackend here; as in Kuma with an unresolved reference, the
/// tracing block then has no tracer and no cluster is added).
/// </remarks>
public sealed class MeshTracePlugin : PolicyPlugin<MeshTraceConf>
{
    public override bool AppliesToWholeProxy => true;

    protected override ProxyIdentity? IdentityRead(MeshTraceConf proxyConf, ProxyIdentity identity) => proxyConf.Backends switch
    {
        [{ Type: MeshTracePolicy.ZipkinType }] => identity with { Service = "" },
        [_] => identity,
        _ => null,
    };

    protected override void OutboundListener(Listener listener, OutboundTarget target, MeshTraceConf? conf) =>
        Trace(listener, conf, target.Proxy, TraceDirection.Outbound, target.Service);

    protected override void InboundListener(Listener listener, InboundTarget target, MeshTraceConf? conf) =>
        Trace(listener, conf, target.Proxy, TraceDirection.Inbound, destination: null);

    protected override void ProxyResources(ProxyResources resources, ProxyWideTarget target, MeshTraceConf? conf, IReadOnlyList<MeshTraceConf> used)
    {
        if (conf?.Backends is not [var backend]) return;
        if (CollectorClusters.For(backend, System.Net.IPAddress.TryParse(target.Address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) is { } cluster)
            resources.Add(cluster);
    }

    /// <summary>gRPC's xDS client reads no tracing from xDS; a proxyless client would have to trace in the application.</summary>
    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshTraceConf conf) =>
        conf.Backends is { Count: > 0 } ? [new ProxylessGap("default", "gRPC's xDS client does not trace from xDS config (no tracers, sampling or span tags)")] : [];

    private static void Trace(Listener listener, MeshTraceConf? conf, ProxyIdentity? proxy, TraceDirection direction, string? destination)
    {
        // An empty backend list traces nothing, as in Kuma; no identity means the proxy is not a sidecar being traced.
        if (conf?.Backends is not [var backend] || proxy is null) return;
        var tracing = Tracers.Build(conf, backend, proxy, direction, destination);
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => hcm.Tracing = tracing.Clone());
        }
    }
}
