using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tokens;

namespace Kuma.Grains;

/// <summary>Holds one kind's signing key (created in the store on first use) and signs tokens with it.</summary>
internal sealed class TokenIssuerGrain(IResourceStore store, TimeProvider clock) : Grain, ITokenIssuerGrain
{
    private TokenKind _kind = null!;
    private RSA? _key;

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        _kind = TokenKind.Of(this.GetPrimaryKeyString());
        var storeKey = ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.GlobalSecret.Name, _kind.SigningKeyName);
        var stored = await store.GetAsync(storeKey, ct);
        if (stored is null)
        {
            try
            {
                stored = (await store.CreateAsync([new ResourceWrite { Key = storeKey, SpecJson = SigningKeys.NewSecretSpecJson() }], Generation.None, ct: ct)).Resources[0];
            }
            catch (ResourceConflictException)
            {
                stored = await store.GetAsync(storeKey, ct); // another silo created it first
            }
        }
        _key = SigningKeys.FromSecretSpecJson(stored!.SpecJson);
    }

    public Task<string> Issue(TokenClaims request)
    {
        var now = clock.GetUtcNow();
        var claims = new Dictionary<string, object?> { ["Name"] = request.Name };
        if (_kind.Type is { } type) claims["Type"] = type;
        if (!request.Groups.IsDefaultOrEmpty || _kind.Type is null) claims["Groups"] = request.Groups.IsDefault ? [] : request.Groups;
        claims["Tenant"] = request.Tenant;
        if (request.TenantUid is not null) claims["TenantUid"] = request.TenantUid;
        if (request.Mesh is not null) claims["Mesh"] = request.Mesh;
        if (request.MeshUid is not null) claims["MeshUid"] = request.MeshUid;
        if (request.Tags is not null) claims["Tags"] = request.Tags;
        claims["jti"] = Guid.NewGuid().ToString();
        claims["iat"] = now.ToUnixTimeSeconds();
        claims["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds();
        claims["exp"] = now.Add(request.ValidFor).ToUnixTimeSeconds();
        return Task.FromResult(Jwt.Sign(_key!, _kind.KeyId, claims));
    }

    public Task<ImmutableArray<VerificationKey>> GetVerificationKeys() =>
        Task.FromResult(ImmutableArray.Create(new VerificationKey(_kind.KeyId, _key!.ExportSubjectPublicKeyInfoPem())));
}
