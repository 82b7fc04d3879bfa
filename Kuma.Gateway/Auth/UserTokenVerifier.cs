using System.Text.Json;
using Kuma.Gateway.Api;
using Kuma.Grains;
using Kuma.Tokens;

namespace Kuma.Gateway.Auth;

/// <summary>
/// Verifies user tokens at the edge with the cluster's public keys; the signature is checked before any
/// claim is looked at. A tenant token opens doors only while the very tenant it was issued in exists:
/// one deleted and created again under the same name is another tenant, and while the tenant's
/// <c>user-token-revocations</c> does not list its id.
/// </summary>
public sealed class UserTokenVerifier(IGrainFactory grains, TenantDirectory tenants, TimeProvider clock) : IDisposable
{
    private readonly VerificationKeys _keys = new(grains, ITokenIssuerGrain.UserTokens, clock);

    internal VerificationKeys Keys => _keys;

    public async Task<Caller> VerifyAsync(string token)
    {
        if (!Jwt.TryReadKeyId(token, out var kid)) throw ApiException.Unauthorized("token is malformed");
        await _keys.EnsureAsync(kid);
        if (!Jwt.TryVerify(token, _keys.Find, clock.GetUtcNow(), out var claims, out var error))
            throw ApiException.Unauthorized(error);

        var name = Claim(claims, "Name") ?? "";
        var tenant = Claim(claims, "Tenant");
        var groups = claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty("Groups", out var g) && g.ValueKind == JsonValueKind.Array
            ? g.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : null).OfType<string>().ToArray()
            : [];
        if (string.IsNullOrEmpty(tenant))
        {
            return groups.Contains(Caller.AdminGroup)
                ? new Caller(name, null, IsAdmin: true, [.. groups, TenantAccess.AuthenticatedGroup])
                : throw ApiException.Unauthorized("token is not bound to a tenant");
        }
        if (await tenants.GetLimitsAsync(tenant) is not { } limits || limits.Uid != Claim(claims, "TenantUid"))
            throw ApiException.Unauthorized("token's tenant does not exist");
        // Looked up only now, after the signature: the tenant's list, cached on this node with its limits.
        if (RevokedIds.Contains(limits, limits.RevokedUserTokens, Claim(claims, "jti")))
            throw ApiException.Unauthorized("token is revoked");
        return new Caller(name, tenant, IsAdmin: false, [.. groups, TenantAccess.AuthenticatedGroup], limits.Access);
    }

    internal static string? Claim(JsonElement claims, string name) =>
        claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public void Dispose() => _keys.Dispose();
}
