using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Store;
using Kuma.Validation;

namespace Kuma.Grains;

/// <summary>Creates the DP server certificate on first use (self-signed, for localhost and this host) and stores it.</summary>
internal sealed class DpCertificateGrain(IResourceStore store) : Grain, IDpCertificateGrain
{
    private static readonly ResourceKey StoreKey = ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.GlobalSecret.Name, "dp-server-tls");
    private byte[]? _pkcs12;

    public async Task<byte[]> GetPkcs12()
    {
        if (_pkcs12 is not null) return _pkcs12;
        var stored = await store.GetAsync(StoreKey);
        if (stored is null)
        {
            var created = new ResourceWrite { Key = StoreKey, SpecJson = SpecBinder.ToCanonicalJson(new SecretSpec { Data = Convert.ToBase64String(Generate()) }) };
            try
            {
                stored = (await store.CreateAsync([created], Generation.None)).Resources[0];
            }
            catch (ResourceConflictException)
            {
                stored = await store.GetAsync(StoreKey); // another silo was first
            }
        }
        _pkcs12 = Convert.FromBase64String(SpecBinder.FromCanonicalJson<SecretSpec>(stored!.SpecJson).Data!);
        return _pkcs12;
    }

    private static byte[] Generate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=kuma-control-plane", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        return certificate.Export(X509ContentType.Pkcs12);
    }
}
