using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Tokens;

/// <summary>
/// Revoked token ids, kept as Kuma keeps them: a secret whose data is the ids separated by commas
/// ("id1,id2"). Dataplane tokens of a mesh are revoked in that mesh's Secret
/// <c>dataplane-token-revocations-&lt;mesh&gt;</c>; a tenant's user tokens in its GlobalSecret <c>user-token-revocations</c>.
/// </summary>
public static class TokenRevocations
{
    public const string UserTokens = "user-token-revocations";
    public const string DataplaneTokensPrefix = "dataplane-token-revocations-";

    public static string DataplaneTokens(string mesh) => DataplaneTokensPrefix + mesh;

    /// <summary>The ids a stored secret lists; none when its data is missing or not base64.</summary>
    public static ImmutableArray<string> IdsOf(string secretSpecJson)
    {
        var data = SpecBinder.FromCanonicalJson<SecretSpec>(secretSpecJson).Data;
        if (string.IsNullOrEmpty(data)) return [];
        var bytes = new byte[data.Length];
        if (!Convert.TryFromBase64String(data, bytes, out var length)) return [];
        return [.. Encoding.UTF8.GetString(bytes, 0, length).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>The mesh's Secret listing revoked dataplane tokens, or null when the mesh has none.</summary>
    public static StoredResource? DataplaneSecretOf(MeshSnapshot snapshot) =>
        snapshot.ByType.GetValueOrDefault(ResourceTypes.Secret.Name)?.GetValueOrDefault(DataplaneTokens(snapshot.Mesh));

    /// <summary>
    /// Secrets stay in the mesh grain except the revocation list: it holds no key material, and every
    /// gateway serving the mesh needs it to refuse revoked tokens, also on streams already open.
    /// </summary>
    public static MeshSnapshot WithoutSecretsButRevocations(MeshSnapshot snapshot)
    {
        var withoutSecrets = snapshot.ByType.Remove(ResourceTypes.Secret.Name);
        if (DataplaneSecretOf(snapshot) is not { } revocations) return snapshot with { ByType = withoutSecrets };
        return snapshot with
        {
            ByType = withoutSecrets.SetItem(ResourceTypes.Secret.Name,
                ImmutableSortedDictionary.Create<string, StoredResource>(StringComparer.Ordinal).Add(revocations.Key.Name, revocations)),
        };
    }
}

/// <summary>A revocation list read once and kept with the stored resource it came from, so each check is one set lookup.</summary>
public static class RevokedIds
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, FrozenSet<string>> Parsed = new();

    /// <summary>Whether <paramref name="id"/> is among the ids of the secret <paramref name="secret"/> (none when null).</summary>
    public static bool Contains(StoredResource? secret, string? id) =>
        secret is not null && !string.IsNullOrEmpty(id)
        && Parsed.GetValue(secret, s => TokenRevocations.IdsOf(((StoredResource)s).SpecJson).ToFrozenSet(StringComparer.Ordinal)).Contains(id);

    /// <summary>Whether <paramref name="id"/> is among <paramref name="ids"/>, parsed once per <paramref name="owner"/>.</summary>
    public static bool Contains(object owner, ImmutableArray<string> ids, string? id) =>
        !ids.IsDefaultOrEmpty && !string.IsNullOrEmpty(id)
        && Parsed.GetValue(owner, _ => ids.ToFrozenSet(StringComparer.Ordinal)).Contains(id);
}
