using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tokens;

namespace Kuma.Grains;

/// <summary>Holds the user-token signing key (created in the store on first use) and signs tokens with it.</summary>
internal sealed class UserTokenGrain(IResourceStore store, TimeProvider clock) : Grain, IUserTokenGrain
{
    private const string KeyId = "1";
    private RSA? _key;

    private static ResourceKey StoreKey =>
        ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.GlobalSecret.Name, SigningKeys.UserTokenKeyName(1));

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        var stored = await store.GetAsync(StoreKey, ct);
        if (stored is null)
        {
            try
            {
                stored = (await store.CreateAsync([new ResourceWrite { Key = StoreKey, SpecJson = SigningKeys.NewSecretSpecJson() }], Generation.None, ct: ct)).Resources[0];
            }
            catch (ResourceConflictException)
            {
                stored = await store.GetAsync(StoreKey, ct); // another silo created it first
            }
        }
        _key = SigningKeys.FromSecretSpecJson(stored!.SpecJson);
    }

    public Task<string> Issue(UserTokenRequest request)
    {
        var now = clock.GetUtcNow();
        var claims = new Dictionary<string, object?>
        {
            ["Name"] = request.Name,
            ["Groups"] = request.Groups,
            ["Tenant"] = request.Tenant,
            ["jti"] = Guid.NewGuid().ToString(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.Add(request.ValidFor).ToUnixTimeSeconds(),
        };
        return Task.FromResult(Jwt.Sign(_key!, KeyId, claims));
    }

    public Task<ImmutableArray<VerificationKey>> GetVerificationKeys() =>
        Task.FromResult(ImmutableArray.Create(new VerificationKey(KeyId, _key!.ExportSubjectPublicKeyInfoPem())));
}
