using System.Diagnostics;
using Kuma.Resources;
using Kuma.Store;

namespace Kuma.Diagnostics;

/// <summary>Times every store call (Kuma's <c>store</c> histogram, by operation) and counts the failures by kind.</summary>
public sealed class MeteredStore(IResourceStore inner) : IResourceStore
{
    public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default) =>
        Measure("get", () => inner.GetAsync(key, ct));

    public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default) =>
        Measure("list", () => inner.ListAsync(query, ct));

    public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default) =>
        Measure("list_mesh", () => inner.ListMeshAsync(tenant, mesh, ct));

    public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default) =>
        Measure("create", () => inner.CreateAsync(writes, generation, quota, ct));

    public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default) =>
        Measure("update", () => inner.UpdateAsync(write, expectedVersion, generation, ct));

    public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default) =>
        Measure("delete", () => inner.DeleteAsync(key, expectedVersion, generation, ct));

    public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default) =>
        Measure("delete_mesh", () => inner.DeleteMeshAsync(tenant, mesh, expectedVersion, ct));

    public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default) =>
        Measure("delete_tenant", () => inner.DeleteTenantAsync(tenant, expectedVersion, ct));

    public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default) =>
        Measure("count", () => inner.CountAsync(tenant, types, ct));

    public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default) =>
        Measure("get_generation", () => inner.GetGenerationAsync(generation, ct));

    public Task<long?> FenceAsync(Generation generation, CancellationToken ct = default) =>
        Measure("fence", () => inner.FenceAsync(generation, ct));

    private static async Task<T> Measure<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call();
        }
        catch (Exception e)
        {
            // The exception's type is a bounded set (conflict, unavailable, cancelled...), fit for a label.
            KumaMetrics.StoreErrors.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("kind", e.GetType().Name));
            throw;
        }
        finally
        {
            KumaMetrics.Store.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));
        }
    }
}
