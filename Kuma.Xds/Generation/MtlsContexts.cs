using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// The TLS contexts of mesh mTLS, as Kuma generates them for sidecars: inbounds take any client certificate of the
/// mesh, outbound clusters check the destination service's SPIFFE id. Certificates come over SDS on the ADS stream
/// (<see cref="MtlsNames"/>), or, for proxyless gRPC, from the certificate providers its bootstrap names.
/// </summary>
public static class MtlsContexts
{
    public const string TransportSocketName = "envoy.transport_sockets.tls";
    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";

    /// <summary>
    /// Secures an inbound listener as built for a mesh without mTLS (one filter chain). STRICT: the chain requires
    /// a client certificate of the mesh. PERMISSIVE: a TLS inspector picks one of three copies of the chain:
    /// plaintext, TLS the proxy leaves to the application, and mesh mTLS (TLS offering ALPN <c>kuma</c>).
    /// </summary>
    public static void SecureInbound(Listener listener, MtlsState mtls)
    {
        if (mtls.Mode == MtlsMode.Strict)
        {
            foreach (var chain in listener.FilterChains) chain.TransportSocket = ServerSide(mtls.Mesh);
            return;
        }
        var template = listener.FilterChains.Single();
        var plaintext = template.Clone();
        plaintext.FilterChainMatch = new FilterChainMatch { TransportProtocol = "raw_buffer" };
        var applicationTls = template.Clone();
        applicationTls.FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls" };
        var meshTls = template.Clone();
        meshTls.FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls", ApplicationProtocols = { MtlsNames.KumaAlpn } };
        meshTls.TransportSocket = ServerSide(mtls.Mesh);
        listener.FilterChains.Clear();
        listener.FilterChains.Add([plaintext, applicationTls, meshTls]);
        listener.ListenerFilters.Add(new ListenerFilter { Name = TlsInspectorFilter, TypedConfig = Any.Pack(new TlsInspector()) });
    }

    /// <summary>
    /// Turns an inbound listener secured by <see cref="SecureInbound"/> for <paramref name="mtls"/> into the one the other
    /// mode makes (what a MeshTLS <c>mode</c> asks of one proxy): the mesh mTLS chain, and the rest rebuilt from it.
    /// </summary>
    public static void ChangeMode(Listener listener, MtlsState mtls, MtlsMode mode)
    {
        if (mode == mtls.Mode) return;
        var meshTls = listener.FilterChains.First(TerminatesMeshTls);
        meshTls.FilterChainMatch = null;
        listener.FilterChains.Clear();
        listener.FilterChains.Add(meshTls);
        if (mode == MtlsMode.Strict)
        {
            var inspector = listener.ListenerFilters.FirstOrDefault(f => f.Name == TlsInspectorFilter);
            if (inspector is not null) listener.ListenerFilters.Remove(inspector);
            return;
        }
        meshTls.TransportSocket = null;
        SecureInbound(listener, mtls with { Mode = mode });
    }

    /// <summary>Whether a filter chain of an inbound listener terminates mesh mTLS (what RBAC on SPIFFE ids needs).</summary>
    public static bool TerminatesMeshTls(FilterChain chain) => chain.TransportSocket?.Name == TransportSocketName;

    /// <summary>The server side of an inbound: the proxy's identity, and any caller whose certificate names a service of the mesh.</summary>
    public static TransportSocket ServerSide(string mesh) => Socket(new DownstreamTlsContext
    {
        CommonTlsContext = Common(mesh, new SubjectAltNameMatcher
        {
            SanType = SubjectAltNameMatcher.Types.SanType.Uri,
            Matcher = new StringMatcher { Prefix = MtlsNames.SpiffePrefix(mesh) },
        }),
        RequireClientCertificate = true,
    });

    /// <summary>The client side of a cluster: the proxy's identity, and only the cluster's service as the server.</summary>
    public static TransportSocket ClientSide(string mesh, ClusterRef cluster)
    {
        var common = Common(mesh, new SubjectAltNameMatcher
        {
            SanType = SubjectAltNameMatcher.Types.SanType.Uri,
            Matcher = new StringMatcher { Exact = MtlsNames.SpiffeId(mesh, cluster.Service) },
        });
        common.AlpnProtocols.Add(MtlsNames.KumaAlpn);
        return Socket(new UpstreamTlsContext { CommonTlsContext = common, Sni = MtlsNames.Sni(cluster, mesh) });
    }

    /// <summary>
    /// The client side of a cluster for proxyless gRPC: the same checks, with certificates from the provider instances
    /// of its bootstrap, and the server's identity in the one SAN list gRPC reads (<c>match_subject_alt_names</c>, which
    /// matches URI SANs among others).
    /// </summary>
    public static TransportSocket ProxylessClientSide(string mesh, ClusterRef cluster)
    {
        var common = new CommonTlsContext
        {
            TlsCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = MtlsNames.IdentityProviderInstance },
            ValidationContext = new CertificateValidationContext
            {
                CaCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = MtlsNames.MeshCaProviderInstance },
#pragma warning disable CS0612 // gRPC's xDS clients read this field, not its typed successor.
                MatchSubjectAltNames = { new StringMatcher { Exact = MtlsNames.SpiffeId(mesh, cluster.Service) } },
#pragma warning restore CS0612
            },
            AlpnProtocols = { MtlsNames.KumaAlpn },
        };
        return Socket(new UpstreamTlsContext { CommonTlsContext = common, Sni = MtlsNames.Sni(cluster, mesh) });
    }

    /// <summary>
    /// The server side of a proxyless gRPC server: its identity and the mesh's CA from the provider instances of its
    /// bootstrap, and a client certificate required (STRICT). gRPC's server does not match SANs itself; who may call
    /// is the RBAC filter's business, as for sidecars.
    /// </summary>
    public static TransportSocket ProxylessServerSide() => Socket(new DownstreamTlsContext
    {
        CommonTlsContext = new CommonTlsContext
        {
            TlsCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = MtlsNames.IdentityProviderInstance },
            ValidationContext = new CertificateValidationContext
            {
                CaCertificateProviderInstance = new CertificateProviderPluginInstance { InstanceName = MtlsNames.MeshCaProviderInstance },
            },
        },
        RequireClientCertificate = true,
    });

    private static CommonTlsContext Common(string mesh, SubjectAltNameMatcher peers) => new()
    {
        CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
        {
            DefaultValidationContext = new CertificateValidationContext { MatchTypedSubjectAltNames = { peers } },
            ValidationContextSdsSecretConfig = Sds(MtlsNames.MeshCaSecret(mesh)),
        },
        TlsCertificateSdsSecretConfigs = { Sds(MtlsNames.IdentityCertSecret(mesh)) },
    };

    private static SdsSecretConfig Sds(string name) => new() { Name = name, SdsConfig = EnvoyBuild.Ads() };

    private static TransportSocket Socket(Google.Protobuf.IMessage context) => new() { Name = TransportSocketName, TypedConfig = Any.Pack(context) };
}
