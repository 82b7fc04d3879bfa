using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;
using TlsProtocol = Envoy.Extensions.TransportSockets.Tls.V3.TlsParameters.Types.TlsProtocol;

namespace Kuma.Policies.MeshTls;

/// <summary>
/// MeshTLS as Kuma applies it, only in meshes with mTLS on: an inbound's merged conf may switch that inbound to the
/// other mode and sets the TLS versions and ciphers of its mesh mTLS chain; the same versions and ciphers, taken
/// from the proxy's own inbound conf, go on every mTLS cluster it calls.
/// </summary>
public sealed class MeshTlsPlugin : PolicyPlugin<MeshTlsConf>
{
    /// <summary>Clusters read the versions and ciphers only: a proxy's mode is about what it accepts.</summary>
    public override JsonObject? OwnInboundForOutbound(JsonObject conf)
    {
        var part = new JsonObject();
        foreach (var field in OutboundFields)
        {
            if (conf[field] is { } value) part[field] = value.DeepClone();
        }
        return part.Count == 0 ? null : part;
    }

    private static readonly string[] OutboundFields = ["tlsVersion", "tlsCiphers"];

    protected override void InboundListener(Listener listener, InboundTarget target, MeshTlsConf? conf)
    {
        if (target.Mtls is not { } mtls || conf is null) return;
        var mode = conf.Mode switch
        {
            "Strict" => MtlsMode.Strict,
            "Permissive" => MtlsMode.Permissive,
            _ => mtls.Mode,
        };
        MtlsContexts.ChangeMode(listener, mtls, mode);
        foreach (var chain in listener.FilterChains.Where(MtlsContexts.TerminatesMeshTls))
            Update<DownstreamTlsContext>(chain.TransportSocket, context => ServerParams(context.CommonTlsContext, conf));
    }

    protected override void OutboundCluster(Cluster cluster, OutboundTarget target, MeshTlsConf? conf)
    {
        if (target.Mtls is null || Read(target.OwnInbound) is not { } own || cluster.TransportSocket?.Name != MtlsContexts.TransportSocketName) return;
        Update<UpstreamTlsContext>(cluster.TransportSocket, context =>
        {
            // gRPC's xDS client refuses a cluster with TLS parameters; its own TLS stack chooses them.
            if (context.CommonTlsContext.TlsCertificateProviderInstance is null) ClientParams(context.CommonTlsContext, own);
        });
    }

    /// <summary>As Kuma's server side: ciphers are set only together with a TLS version bound.</summary>
    private static void ServerParams(CommonTlsContext common, MeshTlsConf conf)
    {
        if (conf.TlsVersion?.Min is { } min) common.TlsParams = new TlsParameters { TlsMinimumProtocolVersion = Protocol(min) };
        if (conf.TlsVersion?.Max is { } max) (common.TlsParams ??= new TlsParameters()).TlsMaximumProtocolVersion = Protocol(max);
        if (conf.TlsCiphers is { Count: > 0 } ciphers && common.TlsParams is not null) common.TlsParams.CipherSuites.Add(ciphers);
    }

    private static void ClientParams(CommonTlsContext common, MeshTlsConf conf)
    {
        var ciphers = conf.TlsCiphers ?? [];
        if (ciphers.Count == 0 && conf.TlsVersion?.Min is null && conf.TlsVersion?.Max is null) return;
        common.TlsParams = new TlsParameters();
        common.TlsParams.CipherSuites.Add(ciphers);
        if (conf.TlsVersion?.Min is { } min) common.TlsParams.TlsMinimumProtocolVersion = Protocol(min);
        if (conf.TlsVersion?.Max is { } max) common.TlsParams.TlsMaximumProtocolVersion = Protocol(max);
    }

    private static TlsProtocol Protocol(string version) => version switch
    {
        "TLS10" => TlsProtocol.Tlsv10,
        "TLS11" => TlsProtocol.Tlsv11,
        "TLS12" => TlsProtocol.Tlsv12,
        "TLS13" => TlsProtocol.Tlsv13,
        _ => TlsProtocol.TlsAuto,
    };

    private static void Update<T>(TransportSocket socket, Action<T> change) where T : class, Google.Protobuf.IMessage<T>, new()
    {
        var context = socket.TypedConfig.Unpack<T>();
        change(context);
        socket.TypedConfig = Any.Pack(context);
    }
}
