using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// The webhook's serving certificate: from files when given (e.g. cert-manager), else a CA and a serving certificate for
/// the agent's Service generated at start. The API server must trust the CA, so a generated one is written into the
/// MutatingWebhookConfiguration's caBundle (<see cref="CaBundleRegistrar"/>); a restart generates a new pair and patches again.
/// </summary>
internal sealed class WebhookCertificate
{
    public required X509Certificate2 Serving { get; init; }

    /// <summary>PEM of the CA to register as caBundle; null when the certificate came from files (their issuer manages it).</summary>
    public string? GeneratedCaPem { get; init; }

    public static WebhookCertificate Load(InjectionOptions options)
    {
        if (options.WebhookCertFile is { } certFile && options.WebhookKeyFile is { } keyFile)
            return new WebhookCertificate { Serving = Exportable(X509Certificate2.CreateFromPemFile(certFile, keyFile)) };
        return Generate(options.ServiceDnsName, DateTimeOffset.UtcNow);
    }

    public static WebhookCertificate Generate(string dnsName, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=kuma-cluster-agent-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", servingKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        names.AddDnsName(dnsName + ".cluster.local");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddYears(5), serial);
        using var withKey = issued.CopyWithPrivateKey(servingKey);
        return new WebhookCertificate { Serving = Exportable(withKey), GeneratedCaPem = ca.ExportCertificatePem() };
    }

    /// <summary>Kestrel on Linux wants a certificate whose key it can use outside the ephemeral key set; a PKCS#12 round trip gives one.</summary>
    private static X509Certificate2 Exportable(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
