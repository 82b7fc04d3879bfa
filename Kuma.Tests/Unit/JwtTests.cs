using System.Security.Cryptography;
using Kuma.Tokens;

namespace Kuma.Tests.Unit;

public sealed class JwtTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_token_verifies_only_with_its_key_and_within_its_time()
    {
        using var key = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var token = Jwt.Sign(key, "1", new Dictionary<string, object?> { ["Name"] = "a", ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds() });

        Assert.True(Jwt.TryVerify(token, kid => kid == "1" ? key : null, Now, out var claims, out _));
        Assert.Equal("a", claims.GetProperty("Name").GetString());
        Assert.False(Jwt.TryVerify(token, _ => other, Now, out _, out var wrongKey));
        Assert.Equal("token signature is not valid", wrongKey);
        Assert.False(Jwt.TryVerify(token, _ => null, Now, out _, out var unknownKey));
        Assert.Equal("there is no signing key with KID 1. If signing key was rotated, regenerate the token", unknownKey);
        Assert.False(Jwt.TryVerify(token, _ => key, Now.AddMinutes(6), out _, out var late));
        Assert.Equal("token expired", late);
    }
}
