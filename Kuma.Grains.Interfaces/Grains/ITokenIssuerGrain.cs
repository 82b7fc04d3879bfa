using System.Collections.Immutable;

namespace Kuma.Grains;

/// <summary>
/// What a token says. <see cref="TenantUid"/> and <see cref="MeshUid"/> name the incarnation of the
/// tenant and mesh it was issued in, so deleting one and creating another under the same name voids
/// every token of the old one.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.TokenClaims")]
public sealed record TokenClaims
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public ImmutableArray<string> Groups { get; init; } = [];
    [Id(2)] public string? Tenant { get; init; }
    [Id(3)] public string? TenantUid { get; init; }
    [Id(4)] public string? Mesh { get; init; }
    [Id(5)] public string? MeshUid { get; init; }
    [Id(6)] public ImmutableSortedDictionary<string, ImmutableArray<string>>? Tags { get; init; }
    [Id(7)] public required TimeSpan ValidFor { get; init; }
}

/// <summary>Public half of a token signing key, enough for the edge to verify tokens.</summary>
[GenerateSerializer, Immutable, Alias("kuma.VerificationKey")]
public sealed record VerificationKey([property: Id(0)] string KeyId, [property: Id(1)] string PublicKeyPem);

/// <summary>One signing key of a kind: the <c>kid</c> tokens name it by, and the secret that holds it.</summary>
[GenerateSerializer, Immutable, Alias("kuma.SigningKeyInfo")]
public sealed record SigningKeyInfo([property: Id(0)] string KeyId, [property: Id(1)] string SecretName);

public enum SigningKeyRemoval
{
    Removed,
    NotFound,
    /// <summary>Refused: the kind would have no key left to sign with.</summary>
    LastKey,
}

/// <summary>
/// Signs one kind of token with cluster-wide keys kept in the store. Private keys stay in the silo;
/// the edge only ever sees public keys, and verifies a token's signature before it trusts any claim.
/// Keys rotate as in Kuma: a new key takes the next serial and signs every new token; tokens signed by an
/// older key stay valid until that key is removed.
/// </summary>
[Alias("kuma.ITokenIssuerGrain")]
public interface ITokenIssuerGrain : IGrainWithStringKey
{
    public const string UserTokens = "user-tokens";
    public const string DataplaneTokens = "dataplane-tokens";

    [Alias("Issue")] Task<string> Issue(TokenClaims claims);

    [Alias("GetVerificationKeys")] Task<ImmutableArray<VerificationKey>> GetVerificationKeys();

    /// <summary>Every key, oldest first; the last one signs.</summary>
    [Alias("ListSigningKeys")] Task<ImmutableArray<SigningKeyInfo>> ListSigningKeys();

    /// <summary>Adds a key with the next serial; new tokens are signed with it from now on.</summary>
    [Alias("AddSigningKey")] Task<SigningKeyInfo> AddSigningKey();

    [Alias("RemoveSigningKey")] Task<SigningKeyRemoval> RemoveSigningKey(string keyId);
}
