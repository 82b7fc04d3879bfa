using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Configuration;

namespace Kuma.Gateway.Dp;

/// <summary>
/// The operator's certificate and key for the DP server (and the API's HTTPS port), PEM files named by Kuma's
/// <c>KUMA_GENERAL_TLS_CERT_FILE</c> and <c>KUMA_GENERAL_TLS_KEY_FILE</c>; read once at startup, so a bad file stops
/// the process with a message naming the setting rather than failing handshakes later.
/// </summary>
public sealed class DpServerTlsFiles : IDisposable
{
    public const string CertFileSetting = "KUMA_GENERAL_TLS_CERT_FILE";
    public const string KeyFileSetting = "KUMA_GENERAL_TLS_KEY_FILE";

    private DpServerTlsFiles(X509Certificate2? certificate, string certificatePem)
    {
        Certificate = certificate;
        CertificatePem = certificatePem;
    }

    /// <summary>The operator's certificate with its key; null when none is configured (the generated one serves).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The certificate file as written (it may hold a chain), which the bootstrap hands Envoy to trust.</summary>
    public string CertificatePem { get; }

    public static DpServerTlsFiles None { get; } = new(null, "");

    public static DpServerTlsFiles Load(KumaSettings settings)
    {
        var certFile = settings.GetString(CertFileSetting, "");
        var keyFile = settings.GetString(KeyFileSetting, "");
        if (certFile.Length == 0 && keyFile.Length == 0) return None;
        if (certFile.Length == 0 || keyFile.Length == 0)
            throw new KumaConfigurationException($"{CertFileSetting} and {KeyFileSetting} go together: set both or neither");
        var certPem = Read(CertFileSetting, certFile);
        var keyPem = Read(KeyFileSetting, keyFile);
        try
        {
            using var alone = X509Certificate2.CreateFromPem(certPem);
        }
        catch (CryptographicException e)
        {
            throw new KumaConfigurationException($"{CertFileSetting}: {certFile} holds no PEM certificate ({e.Message})");
        }
        try
        {
            var certificate = X509Certificate2.CreateFromPem(certPem, keyPem);
            if (!certificate.HasPrivateKey) throw new CryptographicException("no private key");
            return new DpServerTlsFiles(certificate, certPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new KumaConfigurationException($"{KeyFileSetting}: {keyFile} holds no PEM private key of the certificate in {CertFileSetting} ({e.Message})");
        }
    }

    private static string Read(string setting, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KumaConfigurationException($"{setting}: cannot read {path} ({e.Message})");
        }
    }

    public void Dispose() => Certificate?.Dispose();
}
