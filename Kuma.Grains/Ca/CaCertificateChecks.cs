using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Validation;

namespace Kuma.Ca;

/// <summary>What a provided CA must be (Kuma's X509-SVID checks on every certificate of the chain), and unexpired.</summary>
internal static class CaCertificateChecks
{
    public const string NotCa = "basic constraint 'CA' must be set to 'true' (see X509-SVID: 4.1. Basic Constraints)";
    public const string NoKeyCertSign = "key usage extension 'keyCertSign' must be set (see X509-SVID: 4.3. Key Usage)";
    public const string KeyAgreement = "key usage extension 'keyAgreement' must NOT be set (see X509-SVID: Appendix A. X.509 Field Reference)";

    /// <summary>Kuma reports under "cert" when the pair is unreadable, under "cert[i]" for each certificate's faults.</summary>
    public static CaKeyPair? Check(byte[] certPem, byte[] keyPem, DateTimeOffset now, FieldPath path, ValidationErrors errors)
    {
        var pair = CaKeyPair.Parse(certPem, keyPem, out var error);
        if (pair is null)
        {
            errors.Add(path.Field("cert"), $"not a valid TLS key pair: {error}");
            return null;
        }
        var before = errors.Count;
        for (var i = 0; i < pair.ChainDer.Count; i++)
        {
            var at = path.Field("cert").Index(i);
            X509Certificate2 cert;
            try
            {
                cert = X509CertificateLoader.LoadCertificate(pair.ChainDer[i]);
            }
            catch (CryptographicException)
            {
                errors.Add(at, "not a valid x509 certificate: x509: malformed certificate");
                break;
            }
            using (cert)
            {
                var constraints = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
                var usages = cert.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages ?? X509KeyUsageFlags.None;
                if (constraints is not { CertificateAuthority: true }) errors.Add(at, NotCa);
                if (!usages.HasFlag(X509KeyUsageFlags.KeyCertSign)) errors.Add(at, NoKeyCertSign);
                if (usages.HasFlag(X509KeyUsageFlags.KeyAgreement)) errors.Add(at, KeyAgreement);
                // Beyond Kuma: a CA that expired would sign certificates no peer accepts.
                var notAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                if (notAfter < now) errors.Add(at, $"certificate expired at {notAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
            }
        }
        if (errors.Count == before) return pair;
        pair.Dispose();
        return null;
    }
}
