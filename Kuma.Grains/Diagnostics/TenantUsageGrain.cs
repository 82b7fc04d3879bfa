using Kuma.Resources;
using Kuma.Store;

namespace Kuma.Diagnostics;

/// <summary>
/// Sums the nodes' reports into minute buckets. Held in memory: a silo that dies loses the minutes its activation
/// held (the nodes' later reports start filling again), so the figures are a lower bound after a silo failure.
/// </summary>
internal sealed class TenantUsageGrain(IResourceStore store, TimeProvider clock) : Grain, ITenantUsageGrain
{
    /// <summary>A node that has not reported for this long holds none of the tenant's proxies any more (it died or lost them).</summary>
    private static readonly TimeSpan NodeSilentAfter = TimeSpan.FromSeconds(30);

    private readonly SortedDictionary<DateTimeOffset, (long ApiCalls, long ConfigPushes)> _minutes = [];
    private readonly Dictionary<string, (int Connected, DateTimeOffset At)> _nodes = [];

    public Task Report(UsageReport report)
    {
        var now = clock.GetUtcNow();
        _nodes[report.Node] = (report.ConnectedProxies, now);
        foreach (var minute in report.Minutes)
        {
            _minutes.TryGetValue(minute.Start, out var sum);
            _minutes[minute.Start] = (sum.ApiCalls + minute.ApiCalls, sum.ConfigPushes + minute.ConfigPushes);
        }
        var oldest = now - ITenantUsageGrain.Retention;
        while (_minutes.Count > 0 && _minutes.Keys.First() < oldest) _minutes.Remove(_minutes.Keys.First());
        return Task.CompletedTask;
    }

    public async Task<TenantUsage> Get(TimeSpan window)
    {
        var now = clock.GetUtcNow();
        var from = now - window;
        long apiCalls = 0, pushes = 0;
        // A bucket counts when its minute overlaps the window.
        foreach (var (start, sum) in _minutes)
        {
            if (start + TimeSpan.FromMinutes(1) <= from) continue;
            apiCalls += sum.ApiCalls;
            pushes += sum.ConfigPushes;
        }
        var connected = _nodes.Values.Where(n => now - n.At <= NodeSilentAfter).Sum(n => n.Connected);
        var tenant = this.GetPrimaryKeyString();
        var meshes = await store.CountAsync(tenant, [ResourceTypes.Mesh.Name]);
        var dataplanes = await store.CountAsync(tenant, [ResourceTypes.Dataplane.Name]);
        return new TenantUsage(from, now, meshes, dataplanes, connected, apiCalls, pushes);
    }
}
