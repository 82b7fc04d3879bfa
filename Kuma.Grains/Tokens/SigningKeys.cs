using System.Security.Cryptography;
using System.Text;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Tokens;

/// <summary>Token signing keys, kept in the store as secrets whose data is a base64 PEM private key, as Kuma keeps them.</summary>
public static class SigningKeys
{
    public const string UserTokenKeyPrefix = "user-token-signing-key-";
    /// <summary>Cluster-wide here (Kuma keeps one per mesh): the signature is checked before any claim names a tenant.</summary>
    public const string DataplaneTokenKeyPrefix = "dataplane-token-signing-key-";

    public static string NewSecretSpecJson()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportRSAPrivateKeyPem();
        return SpecBinder.ToCanonicalJson(new SecretSpec { Data = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) });
    }

    public static RSA FromSecretSpecJson(string specJson)
    {
        var spec = SpecBinder.FromCanonicalJson<SecretSpec>(specJson);
        return Jwt.ImportPem(Encoding.UTF8.GetString(Convert.FromBase64String(spec.Data!)));
    }
}
