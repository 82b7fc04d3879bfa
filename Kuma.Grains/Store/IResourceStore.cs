using Kuma.Resources;

namespace Kuma.Store;

/// <summary>
/// The durable truth. Every write of a mesh-scoped resource (or of the Mesh itself) also raises that
/// mesh's generation in the same transaction, so snapshot versions survive restarts and never repeat.
/// </summary>
public interface IResourceStore
{
    Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default);

    Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default);

    /// <summary>Every resource inside one mesh (not the Mesh resource itself), for rebuilding its snapshot.</summary>
    Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default);

    /// <summary>
    /// Creates all or none. Throws <see cref="ResourceConflictException"/> when any key exists. With a
    /// <paramref name="quota"/>, throws <see cref="QuotaExceededException"/> when the tenant's rows of the quota's
    /// types plus the new ones would exceed its limit; counting and inserting are one atomic step.
    /// </summary>
    Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default);

    /// <summary>Replaces spec and labels when the stored version equals <paramref name="expectedVersion"/>; else throws <see cref="ResourceConflictException"/>.</summary>
    Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default);

    /// <summary>Deletes when present (and at the expected version, if given). Null generation when nothing was deleted.</summary>
    Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default);

    /// <summary>Deletes a Mesh and everything inside it, in one transaction.</summary>
    Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default);

    /// <summary>Deletes every row a tenant owns, then the Tenant resource itself.</summary>
    Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default);

    Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default);

    Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default);

    /// <summary>
    /// Raises an existing generation without writing anything else. Every write holds its generation's
    /// row until it commits, so this returns only after any write still in flight has ended, and a
    /// read after it sees the final state. Null when the generation does not exist.
    /// </summary>
    Task<long?> FenceAsync(Generation generation, CancellationToken ct = default);
}

/// <summary>The counter a write raises: one per (tenant, mesh); tenant-level writes use an empty mesh.</summary>
public readonly record struct Generation(string Tenant, string Mesh)
{
    public static Generation None => new("", "");
}

public sealed record StoreCommit(IReadOnlyList<StoredResource> Resources, long Generation);

public sealed class ResourceConflictException(ResourceKey key, string message) : Exception(message)
{
    public ResourceKey Key { get; } = key;
}

/// <summary>A quota-checked create was refused: the tenant already holds as many rows as its quota allows.</summary>
public sealed class QuotaExceededException(string tenant, Quota quota) : Exception(quota.Refusal(tenant))
{
    public string Tenant { get; } = tenant;
    public Quota Quota { get; } = quota;
}

/// <summary>What a quota-checked create adds: the one tenant its writes belong to, and how many rows the quota counts.</summary>
public static class QuotaUse
{
    public static (string Tenant, int Adding) Of(Quota quota, IReadOnlyList<ResourceWrite> writes)
    {
        var tenants = writes.Select(w => w.Key.Tenant).Distinct().ToList();
        if (tenants.Count != 1) throw new ArgumentException("a quota-checked create writes rows of exactly one tenant", nameof(writes));
        return (tenants[0], writes.Count(w => quota.Counts(w.Key.Type)));
    }
}

/// <summary>Which row a row belongs to: both stores refuse a row whose owner is gone, so no write can outlive a deleted mesh or tenant.</summary>
public static class Ownership
{
    /// <summary>The Mesh for a row inside a mesh, the Tenant for a tenant-wide row, none for system rows.</summary>
    public static ResourceKey? Parent(ResourceKey key) => key switch
    {
        { Tenant: ResourceKey.SystemTenant } => null,
        { Mesh.Length: > 0 } => ResourceKey.Global(key.Tenant, ResourceTypes.Mesh.Name, key.Mesh),
        _ => ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, key.Tenant),
    };
}

/// <summary>A write's COMMIT was sent but not answered: it may or may not have been applied.</summary>
public sealed class CommitUnconfirmedException(Exception inner) : Exception("the store did not confirm the commit", inner);
