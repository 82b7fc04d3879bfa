using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Kuma.Grains;
using Kuma.Tokens;

namespace Kuma.Gateway.Dp;

/// <summary>Who is on a stream: decided by the dataplane token alone, which the node id must agree with.</summary>
public sealed record DataplaneIdentity(string Tenant, string Mesh, string Name);

/// <summary>
/// Verifies dataplane tokens with their mesh's public keys, fetched from the mesh grain and cached;
/// an unknown key refreshes the cache at most every few seconds, so forged tokens cannot flood the cluster.
/// </summary>
public sealed class DataplaneAuthenticator(IGrainFactory grains, TimeProvider clock)
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<(string Tenant, string Mesh), (Dictionary<string, RSA> Keys, DateTimeOffset Fetched)> _keys = new();

    public async Task<DataplaneIdentity> AuthenticateAsync(string? token, string nodeId)
    {
        if (string.IsNullOrEmpty(token))
            throw Refuse("a dataplane token is required: send it as gRPC metadata 'authorization' or node metadata 'dataplane.token'");
        var (tenant, mesh) = ReadScope(token);
        var keys = await KeysFor(tenant, mesh, refresh: false);
        if (!Jwt.TryVerify(token, kid => keys.GetValueOrDefault(kid), clock.GetUtcNow(), out var claims, out var error))
        {
            keys = await KeysFor(tenant, mesh, refresh: true);
            if (!Jwt.TryVerify(token, kid => keys.GetValueOrDefault(kid), clock.GetUtcNow(), out claims, out error)) throw Refuse(error);
        }
        if (Claim(claims, "Type") is { } type && type != "dataplane") throw Refuse($"a {type} token cannot open a dataplane stream");

        var dot = nodeId.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == nodeId.Length - 1) throw Refuse($"node id '{nodeId}' is not of the form <mesh>.<name>");
        var (nodeMesh, nodeName) = (nodeId[..dot], nodeId[(dot + 1)..]);
        if (nodeMesh != mesh) throw Refuse($"node id '{nodeId}' names mesh '{nodeMesh}' but the token is for mesh '{mesh}'");
        if (Claim(claims, "Name") is { Length: > 0 } name && name != nodeName)
            throw Refuse($"node id '{nodeId}' names dataplane '{nodeName}' but the token is for '{name}'");
        return new DataplaneIdentity(tenant, mesh, nodeName);
    }

    private static (string Tenant, string Mesh) ReadScope(string token)
    {
        // The claims are read unverified only to find which mesh's key must verify them.
        var parts = token.Split('.');
        if (parts.Length != 3) throw Refuse("token is not a JWT");
        try
        {
            using var payload = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            var tenant = Claim(payload.RootElement, "Tenant");
            var mesh = Claim(payload.RootElement, "Mesh");
            if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(mesh)) throw Refuse("token names no tenant and mesh");
            return (tenant, mesh);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Refuse("token is malformed");
        }
    }

    private async Task<Dictionary<string, RSA>> KeysFor(string tenant, string mesh, bool refresh)
    {
        var now = clock.GetUtcNow();
        if (_keys.TryGetValue((tenant, mesh), out var cached) && (!refresh || now - cached.Fetched < RefreshInterval)) return cached.Keys;
        var fetched = new Dictionary<string, RSA>(StringComparer.Ordinal);
        foreach (var key in await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh)).GetDataplaneTokenKeys())
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(key.PublicKeyPem);
            fetched[key.KeyId] = rsa;
        }
        _keys[(tenant, mesh)] = (fetched, now);
        return fetched;
    }

    private static string? Claim(JsonElement claims, string name) =>
        claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static RpcException Refuse(string reason) => new(new Status(StatusCode.Unauthenticated, reason));
}
