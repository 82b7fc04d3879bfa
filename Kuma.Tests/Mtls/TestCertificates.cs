using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kuma.Tests.Mtls;

/// <summary>Certificates for tests of provided CAs, and checks of issued ones with .NET's own chain builder.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed certificate (RSA 2048, as Kuma's tests make them) with the given extensions, as PEM cert and key.</summary>
    public static (string CertPem, string KeyPem) SelfSigned(bool isCa, X509KeyUsageFlags? usages, DateTimeOffset? notAfter = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=provided", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (isCa) request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        if (usages is { } u) request.CertificateExtensions.Add(new X509KeyUsageExtension(u, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var end = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        using var cert = request.CreateSelfSigned(end.AddYears(-2), end);
        return (cert.ExportCertificatePem(), key.ExportRSAPrivateKeyPem());
    }

    public static (string CertPem, string KeyPem) ProperCa() => SelfSigned(true, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign);

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Builds the leaf's chain to <paramref name="caPem"/> alone, at <paramref name="at"/>; the status of each problem found.</summary>
    public static X509ChainStatusFlags[] ChainProblems(X509Certificate2 leaf, string caPem, DateTimeOffset at)
    {
        using var ca = X509Certificate2.CreateFromPem(caPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        var built = chain.Build(leaf);
        var problems = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).ToArray();
        Assert.True(built || problems.Length > 0);
        if (built) Assert.Equal(2, chain.ChainElements.Count);
        return problems;
    }

    /// <summary>The URI SANs in the order the certificate lists them.</summary>
    public static List<string> Uris(X509Certificate2 cert)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var uris = new List<string>();
        var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
        while (reader.HasData)
        {
            if (reader.PeekTag().HasSameClassAndValue(uriTag)) uris.Add(reader.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag));
            else reader.ReadEncodedValue();
        }
        return uris;
    }
}
