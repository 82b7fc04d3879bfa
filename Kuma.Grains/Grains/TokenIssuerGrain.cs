using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tokens;

namespace Kuma.Grains;

/// <summary>
/// Holds one kind's signing keys (the first created in the store on first use) and signs tokens with the
/// newest. Keys are secrets of the system scope named by serial, so adding and removing one is a store write
/// here, and a restart finds the same set.
/// </summary>
internal sealed class TokenIssuerGrain(IResourceStore store, TimeProvider clock) : Grain, ITokenIssuerGrain
{
    private TokenKind _kind = null!;
    private ImmutableSortedDictionary<int, RSA> _keys = ImmutableSortedDictionary<int, RSA>.Empty;

    private ResourceKey StoreKey(int serial) => ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.GlobalSecret.Name, _kind.KeyName(serial));

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        _kind = TokenKind.Of(this.GetPrimaryKeyString());
        await Load(ct);
        if (_keys.IsEmpty) await Create(1, ct);
    }

    private async Task Load(CancellationToken ct)
    {
        var keys = ImmutableSortedDictionary.CreateBuilder<int, RSA>();
        (string, string)? after = null;
        while (true)
        {
            var page = await store.ListAsync(new ResourceQuery
            {
                Tenant = ResourceKey.SystemTenant,
                Type = ResourceTypes.GlobalSecret.Name,
                NameContains = _kind.SigningKeyPrefix,
                Size = 1000,
                After = after,
            }, ct);
            foreach (var stored in page.Items)
            {
                if (_kind.SerialOfName(stored.Key.Name) is { } serial) keys[serial] = SigningKeys.FromSecretSpecJson(stored.SpecJson);
            }
            if (!page.HasMore) break;
            after = (page.Items[^1].Key.Mesh, page.Items[^1].Key.Name);
        }
        _keys = keys.ToImmutable();
    }

    private async Task Create(int serial, CancellationToken ct = default)
    {
        StoredResource? stored;
        try
        {
            stored = (await store.CreateAsync([new ResourceWrite { Key = StoreKey(serial), SpecJson = SigningKeys.NewSecretSpecJson() }], Generation.None, ct: ct)).Resources[0];
        }
        catch (ResourceConflictException)
        {
            stored = await store.GetAsync(StoreKey(serial), ct); // another silo created it first
        }
        if (stored is not null) _keys = _keys.SetItem(serial, SigningKeys.FromSecretSpecJson(stored.SpecJson));
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
        var (serial, key) = _keys.Last();
        return Task.FromResult(Jwt.Sign(key, _kind.KeyId(serial), claims));
    }

    public Task<ImmutableArray<VerificationKey>> GetVerificationKeys() =>
        Task.FromResult(_keys.Select(k => new VerificationKey(_kind.KeyId(k.Key), k.Value.ExportSubjectPublicKeyInfoPem())).ToImmutableArray());

    public Task<ImmutableArray<SigningKeyInfo>> ListSigningKeys() =>
        Task.FromResult(_keys.Keys.Select(Info).ToImmutableArray());

    public async Task<SigningKeyInfo> AddSigningKey()
    {
        var serial = _keys.Keys.Last() + 1;
        await Create(serial);
        return Info(serial);
    }

    public async Task<SigningKeyRemoval> RemoveSigningKey(string keyId)
    {
        if (_kind.SerialOfKeyId(keyId) is not { } serial || !_keys.ContainsKey(serial)) return SigningKeyRemoval.NotFound;
        if (_keys.Count == 1) return SigningKeyRemoval.LastKey;
        await store.DeleteAsync(StoreKey(serial), null, Generation.None);
        _keys = _keys.Remove(serial);
        return SigningKeyRemoval.Removed;
    }

    private SigningKeyInfo Info(int serial) => new(_kind.KeyId(serial), _kind.KeyName(serial));
}
