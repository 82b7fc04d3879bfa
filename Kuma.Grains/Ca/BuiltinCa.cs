using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Resources.Core;

namespace Kuma.Ca;

/// <summary>
/// Creates a builtin backend's root CA as Kuma shapes it (subject O=Kuma, OU=Mesh, CN=&lt;mesh&gt;; URI SAN
/// spiffe://&lt;mesh&gt;; keyCertSign and cRLSign; valid from ten seconds ago for ten years unless configured).
/// The key is ECDSA P-256 unless <c>caCert.RSAbits</c> asks for RSA of that size.
/// </summary>
internal static class BuiltinCa
{
    /// <summary>PEM certificate and PEM private key (PKCS#1 for RSA, SEC 1 for ECDSA, as Go writes them).</summary>
    public static (string CertPem, string KeyPem) Create(string mesh, BuiltinCaConf conf, DateTimeOffset now)
    {
        var lifetime = conf.Expiration is { } text && MtlsFacts.TryParseDuration(text, out var configured) && configured > TimeSpan.Zero
            ? configured
            : MtlsFacts.DefaultCaCertLifetime;
        // The builder encodes the last name added first; Go encodes O, OU, then CN.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(mesh);
        subject.AddOrganizationalUnitName("Mesh");
        subject.AddOrganizationName("Kuma");
        if (conf.RsaBits is { } bits)
        {
            using var rsa = RSA.Create(bits);
            var request = new CertificateRequest(subject.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return (SelfSigned(request, mesh, now, lifetime), rsa.ExportRSAPrivateKeyPem());
        }
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecRequest = new CertificateRequest(subject.Build(), ec, HashAlgorithmName.SHA256);
        return (SelfSigned(ecRequest, mesh, now, lifetime), ec.ExportECPrivateKeyPem());
    }

    private static string SelfSigned(CertificateRequest request, string mesh, DateTimeOffset now, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(UriNames.Extension([$"spiffe://{mesh}"], critical: false));
        using var certificate = request.CreateSelfSigned(now - MtlsFacts.AllowedClockSkew, now + lifetime);
        return certificate.ExportCertificatePem();
    }
}
