using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kuma.Tokens;

/// <summary>
/// Compact RS256 JSON Web Tokens with a <c>kid</c> header, as Kuma issues them. Only RS256 is accepted
/// on verification, so a token cannot choose a weaker algorithm for itself.
/// </summary>
public static class Jwt
{
    public static string Sign(RSA key, string keyId, IReadOnlyDictionary<string, object?> claims)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "RS256", ["kid"] = keyId, ["typ"] = "JWT" });
        var payload = JsonSerializer.SerializeToUtf8Bytes(claims);
        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>The unverified key id in a token's header: only to pick the key that must then verify it.</summary>
    public static bool TryReadKeyId(string token, out string keyId)
    {
        keyId = "";
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot > 1024) return false;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String) return false;
            keyId = kid.GetString()!;
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }

    /// <summary>Checks signature, algorithm and time window; returns the claims or a reason for refusal.</summary>
    public static bool TryVerify(string token, Func<string, RSA?> findKey, DateTimeOffset now, out JsonElement claims, out string error)
    {
        claims = default;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            error = "token is not a JWT";
            return false;
        }
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "RS256")
            {
                error = "token must be signed with RS256";
                return false;
            }
            if (!header.RootElement.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String)
            {
                error = "token has no key id";
                return false;
            }
            var key = findKey(kid.GetString()!);
            if (key is null)
            {
                // Kuma's words: a token of a removed (rotated out) key is told so.
                error = $"there is no signing key with KID {kid.GetString()}. If signing key was rotated, regenerate the token";
                return false;
            }
            var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
            if (!key.VerifyData(signed, Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                error = "token signature is not valid";
                return false;
            }
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            claims = payload.RootElement.Clone();
        }
        catch (Exception e) when (e is FormatException or JsonException or CryptographicException or InvalidOperationException)
        {
            error = "token is malformed";
            return false;
        }
        var seconds = now.ToUnixTimeSeconds();
        if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || exp.GetInt64() <= seconds)
        {
            error = "token expired";
            return false;
        }
        if (claims.TryGetProperty("nbf", out var nbf) && nbf.ValueKind == JsonValueKind.Number && nbf.GetInt64() > seconds + 60)
        {
            error = "token is not valid yet";
            return false;
        }
        error = "";
        return true;
    }

    public static RSA ImportPem(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }
}
