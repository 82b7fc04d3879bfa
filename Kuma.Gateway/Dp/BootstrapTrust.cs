using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Kuma's checks that a proxy will be able to verify the control plane before it is handed a bootstrap, with the
/// messages Kuma answers (400) when it would not.
/// </summary>
public static class BootstrapTrust
{
    public const string NotCa =
        "A data plane proxy is trying to verify the control plane using the certificate which is not a certificate authority (basic constraint 'CA' is set to 'false').\n" +
        "Provide CA that was used to sign a certificate used in the control plane by using 'kuma-dp run --ca-cert-file=file' or via KUMA_CONTROL_PLANE_CA_CERT_FILE";

    /// <summary>
    /// Why a proxy reaching this control plane by <paramref name="host"/> could not verify <paramref name="certificate"/>
    /// (it names other hosts); null when it could.
    /// </summary>
    public static string? HostProblem(string host, X509Certificate2 certificate)
    {
        var bare = host.Trim('[', ']');
        if (bare.Length > 0 && certificate.MatchesHostname(bare, allowWildcards: true, allowCommonName: false)) return null;
        var sans = SubjectAlternativeNames(certificate);
        var quoted = "[" + string.Join(" ", sans.Select(s => $"\"{s}\"")) + "]";
        return $"A data plane proxy is trying to connect to the control plane using \"{bare}\" address, but the certificate in the control plane has the following SANs {quoted}. " +
            "Either change the --cp-address in kuma-dp to one of those or execute the following steps:\n" +
            "1) Generate a new certificate with the address you are trying to use. It is recommended to use trusted Certificate Authority, but you can also generate self-signed certificates using " +
            $"'kumactl generate tls-certificate --type=server --hostname={bare}'\n" +
            "2) Set KUMA_GENERAL_TLS_CERT_FILE and KUMA_GENERAL_TLS_KEY_FILE or the equivalent in Kuma CP config file to the new certificate.\n" +
            "3) Restart the control plane to read the new certificate and start kuma-dp.";
    }

    /// <summary>
    /// Why Envoy could not use <paramref name="pem"/> as the CA it verifies the control plane with; null when it can.
    /// A certificate that says it is no CA is refused; one that says nothing either way is taken.
    /// </summary>
    public static string? CaProblem(string pem, string origin)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            return $"could not parse certificate from {origin}";
        }
        using (certificate)
        {
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            return constraints is { CertificateAuthority: false } ? NotCa : null;
        }
    }

    /// <summary>IP addresses first, then DNS names, as Kuma lists them.</summary>
    private static List<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (extension is null) return [];
        return [.. extension.EnumerateIPAddresses().Select(a => a.ToString()), .. extension.EnumerateDnsNames()];
    }
}
