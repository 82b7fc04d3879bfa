namespace Kuma.Grains;

/// <summary>The DP server's TLS certificate: generated once for the whole cluster and kept in the store.</summary>
[Alias("kuma.IDpCertificateGrain")]
public interface IDpCertificateGrain : IGrainWithStringKey
{
    public const string Key = "dp-server";

    /// <summary>PKCS#12 with the private key; only gateways of this cluster ask for it.</summary>
    [Alias("GetPkcs12")] Task<byte[]> GetPkcs12();
}
