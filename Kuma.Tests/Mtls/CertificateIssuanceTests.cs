using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kuma.Ca;

namespace Kuma.Tests.Mtls;

/// <summary>Builtin CAs and the dataplane certificates they sign, checked with .NET's X509 types and chain builder.</summary>
public sealed class CertificateIssuanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 30, 0, TimeSpan.Zero);

    private static readonly ImmutableSortedDictionary<string, ImmutableArray<string>> WebTags = new Dictionary<string, ImmutableArray<string>>
    {
        ["kuma.io/service"] = ["web-api", "web"],
        ["version"] = ["v1"],
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static CaKeyPair Pair(string certPem, string keyPem) =>
        CaKeyPair.Parse(TestCertificates.Bytes(certPem), TestCertificates.Bytes(keyPem), out var error) ?? throw new InvalidOperationException(error);

    private static (X509Certificate2 Leaf, ECDsa Key) IssueLeaf(CaKeyPair ca, TimeSpan lifetime, DateTimeOffset? at = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (der, _, _) = LeafIssuer.Issue(ca, key.ExportSubjectPublicKeyInfo(), "default", WebTags, lifetime, at ?? Now);
        return (X509CertificateLoader.LoadCertificate(der), key);
    }

    [Fact]
    public void A_builtin_CA_is_ECDSA_P256_by_default_and_shaped_as_Kuma_shapes_it()
    {
        var (certPem, keyPem) = BuiltinCa.Create("m1", new BuiltinCaConf(null, null), Now);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", keyPem, StringComparison.Ordinal);
        using var cert = X509Certificate2.CreateFromPem(certPem);
        using var key = cert.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        Assert.Equal("O=Kuma, OU=Mesh, CN=m1", Subject(cert));
        Assert.Equal(cert.Subject, cert.Issuer);
        Assert.Equal(["spiffe://m1"], TestCertificates.Uris(cert));
        var constraints = cert.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority && constraints.Critical);
        var usages = cert.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usages.KeyUsages);
        Assert.Equal(Now.AddSeconds(-10).UtcDateTime, cert.NotBefore.ToUniversalTime());
        Assert.Equal(Now.AddDays(3650).UtcDateTime, cert.NotAfter.ToUniversalTime());
    }

    /// <summary>Components in the order they are encoded (Go writes O, OU, then CN).</summary>
    private static string Subject(X509Certificate2 cert) =>
        string.Join(", ", cert.SubjectName.EnumerateRelativeDistinguishedNames(reversed: false).Select(r => $"{Short(r.GetSingleElementType().Value!)}={r.GetSingleElementValue()}"));

    private static string Short(string oid) => oid switch
    {
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        _ => oid,
    };

    [Fact]
    public void RSAbits_makes_an_RSA_CA_and_expiration_its_lifetime()
    {
        var (certPem, keyPem) = BuiltinCa.Create("m1", new BuiltinCaConf(3072, "1y"), Now);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", keyPem, StringComparison.Ordinal);
        using var cert = X509Certificate2.CreateFromPem(certPem);
        using var key = cert.GetRSAPublicKey();
        Assert.Equal(3072, key!.KeySize);
        Assert.Equal(Now.AddDays(365).UtcDateTime, cert.NotAfter.ToUniversalTime());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2048)]
    public void A_leaf_chains_to_its_CA_with_Kumas_names_usages_and_lifetime(int? rsaBits)
    {
        var (caPem, caKeyPem) = BuiltinCa.Create("default", new BuiltinCaConf(rsaBits, null), Now.AddDays(-1));
        using var ca = Pair(caPem, caKeyPem);
        var (leaf, key) = IssueLeaf(ca, TimeSpan.FromHours(24));
        using (leaf)
        using (key)
        {
            Assert.Empty(TestCertificates.ChainProblems(leaf, caPem, Now.AddMinutes(1)));
            Assert.Equal(
                ["spiffe://default/web", "spiffe://default/web-api", "kuma://kuma.io/service/web", "kuma://kuma.io/service/web-api", "kuma://version/v1"],
                TestCertificates.Uris(leaf));
            Assert.Equal(new byte[] { 0x30, 0x00 }, leaf.SubjectName.RawData); // an empty subject: the names are the identity
            Assert.True(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().Critical);
            Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement,
                leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
            Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
                leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
            Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            Assert.Equal(Now.AddSeconds(-10).UtcDateTime, leaf.NotBefore.ToUniversalTime());
            Assert.Equal(Now.AddHours(24).UtcDateTime, leaf.NotAfter.ToUniversalTime());
            // The certificate is for the key the caller holds, and for no other.
            Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        }
    }

    [Fact]
    public void A_leaf_is_refused_after_its_expiry_and_by_another_CA()
    {
        var (caPem, caKeyPem) = BuiltinCa.Create("default", new BuiltinCaConf(null, null), Now.AddDays(-1));
        var (otherPem, _) = BuiltinCa.Create("default", new BuiltinCaConf(null, null), Now.AddDays(-1));
        using var ca = Pair(caPem, caKeyPem);
        var (leaf, key) = IssueLeaf(ca, TimeSpan.FromSeconds(30));
        using (leaf)
        using (key)
        {
            Assert.Empty(TestCertificates.ChainProblems(leaf, caPem, Now.AddSeconds(29)));
            Assert.Contains(X509ChainStatusFlags.NotTimeValid, TestCertificates.ChainProblems(leaf, caPem, Now.AddSeconds(31)));
            Assert.NotEmpty(TestCertificates.ChainProblems(leaf, otherPem, Now));
        }
    }

    [Fact]
    public void A_leaf_never_outlives_its_CA()
    {
        var (caPem, caKeyPem) = BuiltinCa.Create("default", new BuiltinCaConf(null, "1h"), Now);
        using var ca = Pair(caPem, caKeyPem);
        var (leaf, key) = IssueLeaf(ca, TimeSpan.FromHours(24));
        using (leaf)
        using (key)
            Assert.Equal(Now.AddHours(1).UtcDateTime, leaf.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void A_provided_CA_signs_leaves_that_chain_to_it()
    {
        var (caPem, caKeyPem) = TestCertificates.ProperCa();
        using var ca = Pair(caPem, caKeyPem);
        var (leaf, key) = IssueLeaf(ca, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        using (leaf)
        using (key)
            Assert.Empty(TestCertificates.ChainProblems(leaf, caPem, DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Theory]
    [InlineData(false, "not a DER SubjectPublicKeyInfo")]
    [InlineData(true, "an RSA public key must have at least 2048 bits")]
    public void Only_keys_fit_for_TLS_are_signed(bool weakRsa, string reason)
    {
        byte[] spki;
        if (weakRsa)
        {
            using var rsa = RSA.Create(1024);
            spki = rsa.ExportSubjectPublicKeyInfo();
        }
        else
        {
            spki = [1, 2, 3];
        }
        Assert.Equal(reason, LeafIssuer.CheckPublicKey(spki));
    }
}
