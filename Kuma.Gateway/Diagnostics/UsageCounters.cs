using System.Collections.Concurrent;
using System.Collections.Immutable;
using Kuma.Diagnostics;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// This node's per-tenant activity for billing: API calls and config pushes by minute, and the proxies it
/// holds. Counted only for authenticated tenants. <see cref="FlushAsync"/> hands it to each tenant's
/// <see cref="ITenantUsageGrain"/>, so the figures are the cluster's, not one node's.
/// </summary>
public sealed class UsageCounters(TimeProvider clock)
{
    private sealed class Counts
    {
        public long ApiCalls;
        public long ConfigPushes;
    }

    private readonly ConcurrentDictionary<(string Tenant, DateTimeOffset Minute), Counts> _minutes = new();
    private readonly ConcurrentDictionary<string, int> _connected = new();
    private readonly HashSet<string> _reportedConnected = [];

    public void ApiCall(string tenant) => Interlocked.Increment(ref At(tenant).ApiCalls);

    public void ConfigPushed(string tenant) => Interlocked.Increment(ref At(tenant).ConfigPushes);

    public void Connected(string tenant) => _connected.AddOrUpdate(tenant, 1, static (_, n) => n + 1);

    public void Disconnected(string tenant) => _connected.AddOrUpdate(tenant, 0, static (_, n) => Math.Max(0, n - 1));

    private Counts At(string tenant)
    {
        var now = clock.GetUtcNow();
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        return _minutes.GetOrAdd((tenant, minute), static _ => new Counts());
    }

    /// <summary>
    /// Sends what was counted since the last flush. Counts taken out are sent once: a report that fails is put
    /// back for the next flush, so an outage delays figures but does not lose them while this node lives.
    /// </summary>
    public async Task FlushAsync(IGrainFactory grains, string node, CancellationToken ct)
    {
        var taken = new Dictionary<string, List<UsageMinute>>(StringComparer.Ordinal);
        foreach (var key in _minutes.Keys)
        {
            if (!_minutes.TryRemove(key, out var counts)) continue;
            var minute = new UsageMinute(key.Minute, Interlocked.Read(ref counts.ApiCalls), Interlocked.Read(ref counts.ConfigPushes));
            if (!taken.TryGetValue(key.Tenant, out var list)) taken[key.Tenant] = list = [];
            list.Add(minute);
        }
        // Tenants with proxies here are reported every time (the grain forgets silent nodes); a tenant whose last proxy left, once more.
        var tenants = taken.Keys.Concat(_connected.Where(c => c.Value > 0).Select(c => c.Key)).Concat(_reportedConnected).ToHashSet(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            var connected = _connected.GetValueOrDefault(tenant);
            var minutes = taken.GetValueOrDefault(tenant) ?? [];
            try
            {
                await grains.GetGrain<ITenantUsageGrain>(tenant).Report(new UsageReport(node, connected, [.. minutes])).WaitAsync(ct);
                if (connected > 0) _reportedConnected.Add(tenant);
                else _reportedConnected.Remove(tenant);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                foreach (var minute in minutes) PutBack(tenant, minute);
            }
        }
    }

    private void PutBack(string tenant, UsageMinute minute)
    {
        var counts = _minutes.GetOrAdd((tenant, minute.Start), static _ => new Counts());
        Interlocked.Add(ref counts.ApiCalls, minute.ApiCalls);
        Interlocked.Add(ref counts.ConfigPushes, minute.ConfigPushes);
    }
}

/// <summary>Flushes <see cref="UsageCounters"/> every few seconds, and once more when the node stops.</summary>
public sealed class UsageFlusher(UsageCounters counters, IGrainFactory grains, IServiceProvider services, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var node = services.GetService<Dp.GatewayNode>()?.InstanceId ?? Environment.MachineName;
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await counters.FlushAsync(grains, node, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await counters.FlushAsync(grains, node, last.Token);
        }
        catch (OperationCanceledException)
        {
            // the cluster did not take the last figures in time; they are lost with this node
        }
    }
}
