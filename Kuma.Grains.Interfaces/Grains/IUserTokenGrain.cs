using System.Collections.Immutable;

namespace Kuma.Grains;

[GenerateSerializer, Immutable, Alias("kuma.UserTokenRequest")]
public sealed record UserTokenRequest(
    [property: Id(0)] string Name,
    [property: Id(1)] ImmutableArray<string> Groups,
    [property: Id(2)] string? Tenant,
    [property: Id(3)] TimeSpan ValidFor);

/// <summary>Public half of a token signing key, enough for the edge to verify tokens.</summary>
[GenerateSerializer, Immutable, Alias("kuma.VerificationKey")]
public sealed record VerificationKey([property: Id(0)] string KeyId, [property: Id(1)] string PublicKeyPem);

/// <summary>Issues user tokens. Private keys stay in the silo; the edge only ever sees public keys.</summary>
[Alias("kuma.IUserTokenGrain")]
public interface IUserTokenGrain : IGrainWithStringKey
{
    public const string Key = "user-tokens";

    [Alias("Issue")] Task<string> Issue(UserTokenRequest request);

    [Alias("GetVerificationKeys")] Task<ImmutableArray<VerificationKey>> GetVerificationKeys();
}
