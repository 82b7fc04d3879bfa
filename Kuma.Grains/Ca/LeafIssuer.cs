using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Resources.Core;

namespace Kuma.Ca;

/// <summary>
/// Signs a dataplane's certificate for a public key it was given, as Kuma's CAs issue them: no subject; URI SANs
/// <c>spiffe://&lt;mesh&gt;/&lt;service&gt;</c> for each service, then <c>kuma://&lt;tag&gt;/&lt;value&gt;</c> for every tag
/// (names and values in order); digitalSignature, keyEncipherment and keyAgreement; serverAuth and clientAuth;
/// valid from ten seconds ago for the backend's lifetime (never past the CA's own end).
/// </summary>
internal static class LeafIssuer
{
    public const string ServiceTag = "kuma.io/service";
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The public keys a leaf may carry: the ones Envoy and gRPC accept for TLS.</summary>
    public static string? CheckPublicKey(byte[] subjectPublicKeyInfo)
    {
        try
        {
            var key = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length) return "the public key has trailing data";
            if (key.GetECDsaPublicKey() is { } ec)
            {
                using (ec) return ec.KeySize is 256 or 384 ? null : "an ECDSA public key must be on P-256 or P-384";
            }
            if (key.GetRSAPublicKey() is { } rsa)
            {
                using (rsa) return rsa.KeySize >= 2048 ? null : "an RSA public key must have at least 2048 bits";
            }
            return "the public key must be ECDSA or RSA";
        }
        catch (CryptographicException)
        {
            return "not a DER SubjectPublicKeyInfo";
        }
    }

    /// <summary>The URI SANs in Kuma's order.</summary>
    public static List<string> Uris(string mesh, IReadOnlyDictionary<string, ImmutableArray<string>> tags)
    {
        var uris = new List<string>();
        if (tags.TryGetValue(ServiceTag, out var services))
            uris.AddRange(services.Distinct().Order(StringComparer.Ordinal).Select(s => $"spiffe://{mesh}/{s}"));
        foreach (var (name, values) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            uris.AddRange(values.Distinct().Order(StringComparer.Ordinal).Select(v => $"kuma://{name}/{v}"));
        return uris;
    }

    /// <summary>DER of the signed certificate, and its validity as written into it.</summary>
    public static (byte[] Der, DateTimeOffset NotBefore, DateTimeOffset NotAfter) Issue(CaKeyPair ca, byte[] subjectPublicKeyInfo, string mesh, IReadOnlyDictionary<string, ImmutableArray<string>> tags,
        TimeSpan lifetime, DateTimeOffset now)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var request = new CertificateRequest(new X500DistinguishedName(""), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        // With no subject, the names are the identity, so the extension is critical (RFC 5280, 4.2.1.6).
        request.CertificateExtensions.Add(UriNames.Extension(Uris(mesh, tags).Where(u => u.All(char.IsAscii)), critical: true));
        if (ca.Signer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault() is { } caKeyId)
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caKeyId));

        var notBefore = now - MtlsFacts.AllowedClockSkew;
        var notAfter = now + lifetime;
        var caEnd = new DateTimeOffset(ca.Signer.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caEnd) notAfter = caEnd;
        var generator = ca.Key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("a CA key is RSA or ECDSA"),
        };
        using var certificate = request.Create(ca.Signer.SubjectName, generator, notBefore, notAfter, Serial());
        return (certificate.RawData, new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>128 random bits, positive and never zero.</summary>
    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
