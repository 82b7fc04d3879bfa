using System.Net;
using System.Text.Json;
using Grpc.Core;
using Kuma.Gateway.Auth;
using Kuma.Grains;
using Kuma.Tokens;

namespace Kuma.Gateway.Dp;

/// <summary>Who is on a stream: decided by the dataplane token alone, which the node id must agree with.</summary>
/// <param name="MeshUid">The incarnation of the mesh the token was issued in; a stream serves no other.</param>
/// <param name="TokenId">The token's <c>jti</c>: the stream ends once the mesh lists it as revoked.</param>
public sealed record DataplaneIdentity(string Tenant, string Mesh, string Name, string? MeshUid = null, string? TokenId = null);

/// <summary>
/// Verifies dataplane tokens. The signature is checked with the cluster's dataplane keys, held on this
/// node, before any claim is read: a forged token leaves nothing behind and makes no grain or store
/// call. Only then is the tenant looked up, by the name and incarnation the token was issued in.
/// </summary>
public sealed class DataplaneAuthenticator(IGrainFactory grains, TenantDirectory tenants, FailedAuthLimiter failures, TimeProvider clock) : IDisposable
{
    private readonly VerificationKeys _keys = new(grains, ITokenIssuerGrain.DataplaneTokens, clock);

    internal VerificationKeys Keys => _keys;

    public async Task<DataplaneIdentity> AuthenticateAsync(string? token, string nodeId, IPAddress? source)
    {
        if (failures.IsBlocked(source))
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many refused dataplane tokens from this address; try again later"));
        try
        {
            return await Verify(token, nodeId);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            failures.RecordFailure(source);
            throw;
        }
    }

    private async Task<DataplaneIdentity> Verify(string? token, string nodeId)
    {
        if (string.IsNullOrEmpty(token))
            throw Refuse("a dataplane token is required: send it as gRPC metadata 'authorization' or node metadata 'dataplane.token'");
        if (!Jwt.TryReadKeyId(token, out var kid)) throw Refuse("token is malformed");
        await _keys.EnsureAsync(kid);
        if (!Jwt.TryVerify(token, _keys.Find, clock.GetUtcNow(), out var claims, out var error)) throw Refuse(error);

        var tenant = UserTokenVerifier.Claim(claims, "Tenant");
        var mesh = UserTokenVerifier.Claim(claims, "Mesh");
        if (UserTokenVerifier.Claim(claims, "Type") != "dataplane" || string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(mesh))
            throw Refuse("not a dataplane token");
        if (await tenants.GetLimitsAsync(tenant) is not { } limits || limits.Uid != UserTokenVerifier.Claim(claims, "TenantUid"))
            throw Refuse("token's tenant does not exist");

        var dot = nodeId.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == nodeId.Length - 1) throw Refuse($"node id '{Shorten(nodeId)}' is not of the form <mesh>.<name>");
        var (nodeMesh, nodeName) = (nodeId[..dot], nodeId[(dot + 1)..]);
        if (nodeMesh != mesh) throw Refuse($"node id '{Shorten(nodeId)}' names mesh '{Shorten(nodeMesh)}' but the token is for mesh '{mesh}'");
        if (UserTokenVerifier.Claim(claims, "Name") is { Length: > 0 } name && name != nodeName)
            throw Refuse($"node id '{Shorten(nodeId)}' names dataplane '{Shorten(nodeName)}' but the token is for '{name}'");
        return new DataplaneIdentity(tenant, mesh, nodeName, UserTokenVerifier.Claim(claims, "MeshUid"), UserTokenVerifier.Claim(claims, "jti"));
    }

    /// <summary>Refusals echo what the caller sent, cut short so a huge node id is not copied around.</summary>
    private static string Shorten(string text) => text.Length <= 128 ? text : text[..128] + "…";

    /// <summary>
    /// Refuses a token the mesh lists as revoked. Checked against the mesh snapshot this node already follows,
    /// after the signature: a revocation reaches every stream of the mesh with the mesh's next change.
    /// </summary>
    public static void RefuseIfRevoked(MeshSnapshot? mesh, DataplaneIdentity identity)
    {
        if (mesh is not null && RevokedIds.Contains(TokenRevocations.DataplaneSecretOf(mesh), identity.TokenId))
            throw Refuse("token is revoked");
    }

    private static RpcException Refuse(string reason) => new(new Status(StatusCode.Unauthenticated, reason));

    public void Dispose() => _keys.Dispose();
}
