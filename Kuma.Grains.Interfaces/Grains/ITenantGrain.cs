using System.Collections.Immutable;
using Kuma.Resources;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>
/// What the edge needs on every request of a tenant, cached there briefly: its limits, which incarnation of
/// the name it is, the ids of its revoked user tokens (its GlobalSecret <c>user-token-revocations</c>) and who
/// may do what inside it.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.TenantLimits")]
public sealed record TenantLimits([property: Id(0)] int? ApiRequestsPerSecond, [property: Id(1)] string Uid)
{
    [Id(2)] public ImmutableArray<string> RevokedUserTokens { get; init; } = [];
    [Id(3)] public TenantAccess Access { get; init; } = TenantAccess.Default;
}

/// <summary>One tenant: its own resource, its quotas and the lifecycle of its meshes.</summary>
[Alias("kuma.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>The Tenant resource, or null when the tenant does not exist.</summary>
    [AlwaysInterleave, Alias("Get")] Task<StoredResource?> Get();

    [AlwaysInterleave, Alias("GetLimits")] Task<TenantLimits?> GetLimits();

    [Alias("Put")] Task<WriteResult> Put(ResourceWrite write);

    /// <summary>Creates the tenant with no limits unless it exists.</summary>
    [Alias("EnsureExists")] Task EnsureExists();

    /// <summary>Deletes the tenant with every mesh and resource it owns.</summary>
    [Alias("Delete")] Task<WriteResult> Delete(long? expectedVersion);

    [Alias("PutMesh")] Task<WriteResult> PutMesh(ResourceWrite write);

    [Alias("DeleteMesh")] Task<WriteResult> DeleteMesh(string mesh, long? expectedVersion);

    /// <summary>Writes a tenant-wide resource other than a Mesh (e.g. a GlobalSecret).</summary>
    [Alias("PutGlobal")] Task<WriteResult> PutGlobal(ResourceWrite write);

    [Alias("DeleteGlobal")] Task<WriteResult> DeleteGlobal(string type, string name, long? expectedVersion);

    /// <summary>
    /// The quota a create of <paramref name="type"/> must respect, or null when unlimited. The asking mesh hands
    /// it to the store, which enforces it atomically with the insert.
    /// </summary>
    // Interleaves: a mesh asks while this grain may be waiting on that same mesh in PutMesh.
    [AlwaysInterleave, Alias("GetQuota")] Task<Quota?> GetQuota(string type);
}
