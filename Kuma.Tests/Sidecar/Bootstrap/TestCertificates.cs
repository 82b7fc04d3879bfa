using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>An operator's CA and a server certificate it signed for localhost, written as PEM files in a temporary folder.</summary>
internal sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory.CreateDirectory(Folder);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=operator-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaPem = ca.ExportCertificatePem();

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=control-plane", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), [1, 2, 3, 4]);
        ServerPem = server.ExportCertificatePem();
        ServerThumbprint = server.Thumbprint;
        File.WriteAllText(CertFile, ServerPem);
        File.WriteAllText(KeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        using var otherKey = RSA.Create(2048);
        File.WriteAllText(OtherKeyFile, otherKey.ExportPkcs8PrivateKeyPem());
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"kuma-tls-{Guid.NewGuid():N}");
    public string CertFile => Path.Combine(Folder, "server.crt");
    public string KeyFile => Path.Combine(Folder, "server.key");
    /// <summary>A key that belongs to no certificate here.</summary>
    public string OtherKeyFile => Path.Combine(Folder, "other.key");
    public string CaPem { get; }
    public string ServerPem { get; }
    public string ServerThumbprint { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
