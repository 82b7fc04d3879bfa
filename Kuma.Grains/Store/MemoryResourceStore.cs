using System.Collections.Immutable;
using Kuma.Resources;

namespace Kuma.Store;

/// <summary>The embedded default, as in Kuma: everything lives in this process and is gone when it stops.</summary>
public sealed class MemoryResourceStore(TimeProvider clock) : IResourceStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<ResourceKey, StoredResource> _rows = new(ResourceKeyComparer.Instance);
    private readonly Dictionary<Generation, long> _generations = [];

    public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult(_rows.GetValueOrDefault(key));
    }

    public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default)
    {
        lock (_lock)
        {
            var matching = _rows.Values.Where(r => Matches(r, query)).ToList();
            var page = matching
                .Where(r => query.After is not { } after || ComparePosition(r.Key, after) > 0)
                .Take(query.Size + 1)
                .ToList();
            var hasMore = page.Count > query.Size;
            return Task.FromResult(new ResourcePage([.. page.Take(query.Size)], matching.Count, hasMore));
        }
    }

    private static int ComparePosition(ResourceKey key, (string Mesh, string Name) after)
    {
        var c = string.CompareOrdinal(key.Mesh, after.Mesh);
        return c != 0 ? c : string.CompareOrdinal(key.Name, after.Name);
    }

    private static bool Matches(StoredResource r, ResourceQuery q) =>
        r.Key.Tenant == q.Tenant && r.Key.Type == q.Type
        && (q.Mesh is null || r.Key.Mesh == q.Mesh)
        && (q.NameContains is null || r.Key.Name.Contains(q.NameContains, StringComparison.Ordinal))
        && q.Labels.All(l => r.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default)
    {
        lock (_lock)
        {
            IReadOnlyList<StoredResource> result = _rows.Values.Where(r => r.Key.Tenant == tenant && r.Key.Mesh == mesh).ToList();
            return Task.FromResult(result);
        }
    }

    public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (quota is not null) EnforceQuota(quota, writes);
            var keys = writes.Select(w => w.Key).ToHashSet();
            foreach (var w in writes)
            {
                if (_rows.ContainsKey(w.Key)) throw new ResourceConflictException(w.Key, "resource already exists");
                if (Ownership.Parent(w.Key) is { } parent && !_rows.ContainsKey(parent) && !keys.Contains(parent))
                    throw new ResourceConflictException(w.Key, "its mesh or tenant does not exist");
            }
            var now = Now();
            var created = writes.Select(w => new StoredResource
            {
                Key = w.Key,
                SpecJson = w.SpecJson,
                Labels = w.Labels,
                Version = 1,
                CreationTime = now,
                ModificationTime = now,
            }).ToList();
            foreach (var r in created) _rows[r.Key] = r;
            return Task.FromResult(new StoreCommit(created, Bump(generation)));
        }
    }

    // Same order as the Postgres store: the quota is judged before keys and parents.
    private void EnforceQuota(Quota quota, IReadOnlyList<ResourceWrite> writes)
    {
        var (tenant, adding) = QuotaUse.Of(quota, writes);
        if (adding == 0) return;
        var held = _rows.Keys.Count(k => k.Tenant == tenant && quota.Counts(k.Type));
        if (held + adding > quota.Limit) throw new QuotaExceededException(tenant, quota);
    }

    public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(write.Key, out var current) || current.Version != expectedVersion)
                throw new ResourceConflictException(write.Key, "resource was changed or deleted meanwhile");
            var updated = current with
            {
                SpecJson = write.SpecJson,
                Labels = write.Labels,
                Version = current.Version + 1,
                ModificationTime = Now(),
            };
            _rows[write.Key] = updated;
            return Task.FromResult(new StoreCommit([updated], Bump(generation)));
        }
    }

    public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(key, out var current)) return Task.FromResult<long?>(null);
            if (expectedVersion is { } v && current.Version != v) throw new ResourceConflictException(key, "resource was changed meanwhile");
            _rows.Remove(key);
            return Task.FromResult<long?>(Bump(generation));
        }
    }

    public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default)
    {
        var meshKey = ResourceKey.Global(tenant, ResourceTypes.Mesh.Name, mesh);
        lock (_lock)
        {
            if (!_rows.TryGetValue(meshKey, out var current)) return Task.FromResult<long?>(null);
            if (expectedVersion is { } v && current.Version != v) throw new ResourceConflictException(meshKey, "mesh was changed meanwhile");
            foreach (var key in _rows.Keys.Where(k => k.Tenant == tenant && k.Mesh == mesh).ToList()) _rows.Remove(key);
            _rows.Remove(meshKey);
            return Task.FromResult<long?>(Bump(new Generation(tenant, mesh)));
        }
    }

    public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default)
    {
        var tenantKey = ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, tenant);
        lock (_lock)
        {
            if (!_rows.TryGetValue(tenantKey, out var current)) return Task.FromResult(false);
            if (expectedVersion is { } v && current.Version != v) throw new ResourceConflictException(tenantKey, "tenant was changed meanwhile");
            foreach (var key in _rows.Keys.Where(k => k.Tenant == tenant).ToList()) _rows.Remove(key);
            foreach (var g in _generations.Keys.Where(g => g.Tenant == tenant).ToList()) _generations.Remove(g);
            _rows.Remove(tenantKey);
            return Task.FromResult(true);
        }
    }

    public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult((long)_rows.Keys.Count(k => k.Tenant == tenant && types.Contains(k.Type)));
    }

    public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult(_generations.GetValueOrDefault(generation));
    }

    public Task<long?> FenceAsync(Generation generation, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult(_generations.ContainsKey(generation) ? Bump(generation) : (long?)null);
    }

    private long Bump(Generation generation)
    {
        var next = _generations.GetValueOrDefault(generation) + 1;
        _generations[generation] = next;
        return next;
    }

    // Postgres keeps microseconds; truncating here keeps both stores' answers identical.
    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
