using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kuma.Ca;

/// <summary>
/// A CA's certificate chain (PEM, signing certificate first) and its private key, read as Kuma reads a TLS key pair,
/// with the reasons Kuma gives when they do not make one. The key never leaves the control plane's grains and store.
/// </summary>
internal sealed class CaKeyPair : IDisposable
{
    private CaKeyPair(string certPem, List<byte[]> chainDer, X509Certificate2 signer, AsymmetricAlgorithm key)
    {
        CertPem = certPem;
        ChainDer = chainDer;
        Signer = signer;
        Key = key;
    }

    /// <summary>The certificates as given: what peers are told to trust.</summary>
    public string CertPem { get; }

    /// <summary>Every certificate of the chain, DER, in the order given.</summary>
    public IReadOnlyList<byte[]> ChainDer { get; }

    /// <summary>The certificate leaves are signed under (the first of the chain).</summary>
    public X509Certificate2 Signer { get; }

    public AsymmetricAlgorithm Key { get; }

    /// <summary>Null with Kuma's reason (without its "not a valid TLS key pair: " prefix) when the two do not make a key pair.</summary>
    public static CaKeyPair? Parse(byte[] certPem, byte[] keyPem, out string? error)
    {
        var certText = Encoding.UTF8.GetString(certPem);
        var keyText = Encoding.UTF8.GetString(keyPem);
        var certBlocks = Blocks(certText);
        var chain = certBlocks.Where(b => b.Label == "CERTIFICATE").Select(b => b.Der).ToList();
        if (chain.Count == 0)
        {
            var skipped = certBlocks.Select(b => b.Label).ToList();
            error = skipped.Count == 0 ? "tls: failed to find any PEM data in certificate input"
                : skipped.All(IsPrivateKeyLabel) ? "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"
                : $"tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: [{string.Join(' ', skipped)}]";
            return null;
        }
        var keyBlocks = Blocks(keyText);
        var keyBlock = keyBlocks.FirstOrDefault(b => IsPrivateKeyLabel(b.Label));
        if (keyBlock.Der is null)
        {
            var skipped = keyBlocks.Select(b => b.Label).ToList();
            error = skipped.Count == 0 ? "tls: failed to find any PEM data in key input"
                : skipped.All(l => l == "CERTIFICATE") ? "tls: found a certificate rather than a key in the PEM for the private key"
                : $"tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: [{string.Join(' ', skipped)}]";
            return null;
        }
        X509Certificate2 signer;
        try
        {
            signer = X509CertificateLoader.LoadCertificate(chain[0]);
        }
        catch (CryptographicException)
        {
            error = "x509: malformed certificate";
            return null;
        }
        var key = ImportKey(keyBlock.Label, keyBlock.Der);
        if (key is null)
        {
            signer.Dispose();
            error = "tls: failed to parse private key";
            return null;
        }
        var certKeyIsRsa = signer.GetKeyAlgorithm() == "1.2.840.113549.1.1.1";
        if (certKeyIsRsa != key is RSA)
        {
            signer.Dispose();
            key.Dispose();
            error = "tls: private key type does not match public key type";
            return null;
        }
        if (!signer.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ExportPublic(key)))
        {
            signer.Dispose();
            key.Dispose();
            error = "tls: private key does not match public key";
            return null;
        }
        error = null;
        return new CaKeyPair(certText, chain, signer, key);
    }

    private static bool IsPrivateKeyLabel(string label) => label == "PRIVATE KEY" || label.EndsWith(" PRIVATE KEY", StringComparison.Ordinal);

    private static byte[] ExportPublic(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
        _ => [],
    };

    /// <summary>PKCS#1 and SEC 1 by their labels, PKCS#8 as RSA or EC; anything else (encrypted keys too) is unreadable.</summary>
    private static AsymmetricAlgorithm? ImportKey(string label, byte[] der)
    {
        AsymmetricAlgorithm? Try(Func<AsymmetricAlgorithm> import)
        {
            try
            {
                return import();
            }
            catch (CryptographicException)
            {
                return null;
            }
        }
        return label switch
        {
            "RSA PRIVATE KEY" => Try(() => { var rsa = RSA.Create(); rsa.ImportRSAPrivateKey(der, out _); return rsa; }),
            "EC PRIVATE KEY" => Try(() => { var ec = ECDsa.Create(); ec.ImportECPrivateKey(der, out _); return ec; }),
            "PRIVATE KEY" => Try(() => { var rsa = RSA.Create(); rsa.ImportPkcs8PrivateKey(der, out _); return rsa; })
                ?? Try(() => { var ec = ECDsa.Create(); ec.ImportPkcs8PrivateKey(der, out _); return ec; }),
            _ => null,
        };
    }

    private static List<(string Label, byte[] Der)> Blocks(string text)
    {
        var blocks = new List<(string, byte[])>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var der = new byte[fields.DecodedDataLength];
            if (Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written)) blocks.Add((label, der[..written]));
            rest = rest[fields.Location.End..];
        }
        return blocks;
    }

    public void Dispose()
    {
        Signer.Dispose();
        Key.Dispose();
    }
}
