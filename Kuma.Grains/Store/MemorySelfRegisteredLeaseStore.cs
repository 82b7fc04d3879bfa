using Kuma.Grains;

namespace Kuma.Store;

/// <summary>Leases of the embedded store: lost with the process, like everything else in it.</summary>
public sealed class MemorySelfRegisteredLeaseStore : ISelfRegisteredLeaseStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Tenant, string Mesh, string Name), SelfRegisteredLease> _rows = [];

    public Task HoldAsync(SelfRegisteredLease lease, CancellationToken ct = default)
    {
        lock (_lock) _rows[(lease.Tenant, lease.Mesh, lease.Name)] = lease;
        return Task.CompletedTask;
    }

    public Task ExtendAsync(IReadOnlyCollection<LeaseHolder> holders, DateTimeOffset deleteAfter, CancellationToken ct = default)
    {
        lock (_lock)
        {
            foreach (var h in holders)
            {
                if (_rows.TryGetValue((h.Tenant, h.Mesh, h.Name), out var row) && row.Session == h.Session)
                    _rows[(h.Tenant, h.Mesh, h.Name)] = row with { DeleteAfter = deleteAfter };
            }
        }
        return Task.CompletedTask;
    }

    public Task<SelfRegisteredLease?> GetAsync(string tenant, string mesh, string name, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult(_rows.GetValueOrDefault((tenant, mesh, name)));
    }

    public Task<IReadOnlyList<SelfRegisteredLease>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct = default)
    {
        lock (_lock)
        {
            IReadOnlyList<SelfRegisteredLease> due = [.. _rows.Values.Where(r => r.DeleteAfter <= now).OrderBy(r => r.DeleteAfter).Take(limit)];
            return Task.FromResult(due);
        }
    }

    public Task ForgetAsync(LeaseHolder holder, CancellationToken ct = default)
    {
        lock (_lock)
        {
            var key = (holder.Tenant, holder.Mesh, holder.Name);
            if (_rows.TryGetValue(key, out var row) && row.Session == holder.Session) _rows.Remove(key);
        }
        return Task.CompletedTask;
    }
}
