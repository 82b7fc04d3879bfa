using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>How inbounds of an mTLS mesh treat callers (the enabled CA backend's <c>mode</c>).</summary>
public enum MtlsMode
{
    /// <summary>Only mesh members with a certificate of the mesh's CA get in.</summary>
    Strict,
    /// <summary>Plaintext and TLS the proxy does not terminate are let through too.</summary>
    Permissive,
}

/// <summary>
/// A mesh's mTLS as generation uses it: on when <c>mtls.enabledBackend</c> names one of <c>mtls.backends</c>. Null
/// stands for off. The certificates themselves reach each proxy over SDS, so this is all a listener or cluster
/// depends on, and units holding it stay shared between proxies of the mesh.
/// </summary>
public sealed record MtlsState(string Mesh, MtlsMode Mode)
{
    public static MtlsState? Of(string mesh, MeshMtls? spec)
    {
        if (spec is null || MtlsFacts.EnabledBackend(new MeshSpec { Mtls = spec }) is not { } backend) return null;
        return new MtlsState(mesh, MtlsFacts.IsPermissive(backend) ? MtlsMode.Permissive : MtlsMode.Strict);
    }
}

/// <summary>Kuma's names and identities for mesh mTLS, shared by generated resources and the SDS side.</summary>
public static class MtlsNames
{
    /// <summary>The SDS secret with the proxy's own certificate chain and key.</summary>
    public static string IdentityCertSecret(string mesh) => MtlsFacts.IdentityCertSecretName(mesh);

    /// <summary>The SDS secret with the mesh's CA bundle, which peers' certificates are checked against.</summary>
    public static string MeshCaSecret(string mesh) => MtlsFacts.MeshCaSecretName(mesh);

    /// <summary>
    /// Proxyless gRPC has no SDS: its bootstrap names certificate provider instances, and TLS contexts sent to it
    /// refer to them. This one serves the workload's certificate chain and key.
    /// </summary>
    public const string IdentityProviderInstance = "kuma-identity";

    /// <summary>The provider instance serving the mesh CA bundle to proxyless gRPC (see <see cref="IdentityProviderInstance"/>).</summary>
    public const string MeshCaProviderInstance = "kuma-mesh-ca";

    /// <summary>What a mesh client offers in ALPN, so a PERMISSIVE inbound tells mesh mTLS from the application's own TLS.</summary>
    public const string KumaAlpn = "kuma";

    public static string SpiffeId(string mesh, string service) => $"spiffe://{mesh}/{service}";

    public static string SpiffePrefix(string mesh) => $"spiffe://{mesh}/";

    /// <summary>
    /// The SNI a client sends for a cluster: the service, then in braces every other tag of the cluster and the mesh
    /// as <c>key=value</c> in key order (<c>backend{mesh=default,version=v1}</c>).
    /// </summary>
    public static string Sni(ClusterRef cluster, string mesh)
    {
        var tags = cluster.Subset.Values.Remove(ServiceEndpoint.ServiceTag).SetItem("mesh", mesh);
        return $"{cluster.Service}{{{string.Join(',', tags.Select(t => $"{t.Key}={t.Value}"))}}}";
    }
}
