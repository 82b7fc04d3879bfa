using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Kuma.Grains;
using Kuma.Tokens;

namespace Kuma.Gateway.Auth;

/// <summary>
/// Verifies user tokens at the edge with public keys fetched from the silo once and cached; an unknown
/// key id triggers at most one refresh per interval, so forged tokens cannot hammer the cluster.
/// </summary>
public sealed class UserTokenVerifier(IGrainFactory grains, TenantDirectory tenants, TimeProvider clock) : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, RSA> _keys = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private DateTimeOffset _lastRefresh = DateTimeOffset.MinValue;

    public async Task<Caller> VerifyAsync(string token)
    {
        if (!TryReadKeyId(token, out var kid)) throw Gateway.Api.ApiException.Unauthorized("token is malformed");
        if (!_keys.ContainsKey(kid)) await RefreshKeys();
        if (!Jwt.TryVerify(token, id => _keys.GetValueOrDefault(id), clock.GetUtcNow(), out var claims, out var error))
            throw Gateway.Api.ApiException.Unauthorized(error);

        var name = claims.TryGetProperty("Name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        var tenant = claims.TryGetProperty("Tenant", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var groups = claims.TryGetProperty("Groups", out var g) && g.ValueKind == JsonValueKind.Array
            ? g.EnumerateArray().Select(x => x.GetString()).ToArray()
            : [];
        if (string.IsNullOrEmpty(tenant))
        {
            return groups.Contains(Caller.AdminGroup)
                ? new Caller(name, null, IsAdmin: true)
                : throw Gateway.Api.ApiException.Unauthorized("token is not bound to a tenant");
        }
        // Once its tenant is deleted, a token opens no door.
        if (await tenants.GetLimitsAsync(tenant) is null) throw Gateway.Api.ApiException.Unauthorized("token's tenant does not exist");
        return new Caller(name, tenant, IsAdmin: false);
    }

    private static bool TryReadKeyId(string token, out string kid)
    {
        kid = "";
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0) return false;
        try
        {
            using var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("kid", out var k) || k.ValueKind != JsonValueKind.String) return false;
            kid = k.GetString()!;
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }

    private async Task RefreshKeys()
    {
        await _refresh.WaitAsync();
        try
        {
            if (clock.GetUtcNow() - _lastRefresh < RefreshInterval) return;
            var keys = await grains.GetGrain<IUserTokenGrain>(IUserTokenGrain.Key).GetVerificationKeys();
            foreach (var key in keys)
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(key.PublicKeyPem);
                _keys[key.KeyId] = rsa;
            }
            _lastRefresh = clock.GetUtcNow();
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();
}
