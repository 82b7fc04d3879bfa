using System.Collections.Concurrent;
using Kuma.Grains;
using Kuma.Store;

namespace Kuma.Gateway.Auth;

/// <summary>
/// The edge's node-local cache of which tenants exist and their API limits, so an authenticated request
/// costs no grain call in the common case, and a tenant keeps being served while the silo holding its
/// grain dies. An entry is fresh for one second; after that it is still answered at once while one
/// refresh per tenant runs in the background. A refresh that fails leaves the last known value in place
/// (for at most <see cref="MaxStaleness"/>, then the tenant counts as unknown and the next request
/// asks its grain again). Only a cold miss, a stale "no such tenant" and a too old entry wait for the
/// grain. A deleted tenant is refused as soon as a refresh has seen it gone (about a second), at once
/// on the node that deleted it (<see cref="Invalidate"/>). The cache holds at most a bounded number of
/// tenants, the least recently used leaving first.
/// </summary>
public sealed class TenantDirectory
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromMinutes(5);
    /// <summary>A refresh that has not answered in this long counts as failed, so another may start.</summary>
    public static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(10);
    /// <summary>After a failed refresh, the next one for the tenant waits this long: one attempt per second, not one per request.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    public const int DefaultCapacity = 10_000;

    private sealed class Entry(TenantLimits? limits, DateTimeOffset fetched)
    {
        public TenantLimits? Limits { get; } = limits;
        public DateTimeOffset Fetched { get; } = fetched;
        public long LastUsedTicks;
        public long NextAttemptTicks;
        public int Refreshing;
    }

    private readonly Func<string, Task<TenantLimits?>> _fetch;
    private readonly TimeProvider _clock;
    private readonly int _capacity;
    private readonly OutageLog _outages;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private long _invalidations;

    public TenantDirectory(IGrainFactory grains, TimeProvider clock, ILogger<TenantDirectory> logger)
        : this(tenant => grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(tenant)).GetLimits(), clock, logger, DefaultCapacity)
    {
    }

    /// <summary>For tests: any source of tenant limits, any capacity.</summary>
    internal TenantDirectory(Func<string, Task<TenantLimits?>> fetch, TimeProvider clock, ILogger logger, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _fetch = fetch;
        _clock = clock;
        _capacity = capacity;
        _outages = new OutageLog("tenant grain (refresh of cached tenant limits; last known values are served meanwhile)", clock, logger);
    }

    internal int Count => _cache.Count;

    public ValueTask<TenantLimits?> GetLimitsAsync(string tenant)
    {
        var now = _clock.GetUtcNow();
        if (_cache.TryGetValue(tenant, out var entry))
        {
            var age = now - entry.Fetched;
            if (age < Ttl || (entry.Limits is not null && age < MaxStaleness))
            {
                Volatile.Write(ref entry.LastUsedTicks, now.UtcTicks);
                if (age >= Ttl) StartRefresh(tenant, entry, now);
                return ValueTask.FromResult(entry.Limits);
            }
        }
        return new ValueTask<TenantLimits?>(FetchAsync(tenant, now));
    }

    public void Invalidate(string tenant)
    {
        Interlocked.Increment(ref _invalidations);
        _cache.TryRemove(tenant, out _);
    }

    private async Task<TenantLimits?> FetchAsync(string tenant, DateTimeOffset now)
    {
        var generation = Interlocked.Read(ref _invalidations);
        var limits = await _fetch(tenant);
        _outages.RecordSuccess();
        // An invalidation while the call was out may mean the answer predates a PUT or DELETE: not kept.
        if (Interlocked.Read(ref _invalidations) != generation) return limits;
        var entry = new Entry(limits, now) { LastUsedTicks = now.UtcTicks };
        var added = false;
        _cache.AddOrUpdate(tenant, _ =>
        {
            added = true;
            return entry;
        }, (_, _) => entry);
        if (added && _cache.Count > _capacity) Evict();
        return limits;
    }

    private void StartRefresh(string tenant, Entry entry, DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref entry.NextAttemptTicks)) return;
        if (Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) != 0) return;
        _ = RefreshAsync(tenant, entry, now);
    }

    private async Task RefreshAsync(string tenant, Entry stale, DateTimeOffset now)
    {
        var generation = Interlocked.Read(ref _invalidations);
        try
        {
            var limits = await _fetch(tenant).WaitAsync(RefreshTimeout, _clock);
            _outages.RecordSuccess();
            if (Interlocked.Read(ref _invalidations) != generation) return;
            // Replaces only the entry this refresh started from: an invalidation or a newer fetch wins.
            _cache.TryUpdate(tenant, new Entry(limits, now) { LastUsedTicks = Volatile.Read(ref stale.LastUsedTicks) }, stale);
        }
        catch (Exception e)
        {
            _outages.RecordFailure(e.GetType().Name, e.Message);
            Volatile.Write(ref stale.NextAttemptTicks, (_clock.GetUtcNow() + RetryInterval).UtcTicks);
        }
        finally
        {
            Volatile.Write(ref stale.Refreshing, 0);
        }
    }

    /// <summary>Drops the least recently used tenants down to nine tenths of the capacity, so eviction runs once per many insertions.</summary>
    private void Evict()
    {
        lock (_evicting)
        {
            var snapshot = _cache.ToArray();
            if (snapshot.Length <= _capacity) return;
            var keep = Math.Max(1, _capacity - _capacity / 10);
            foreach (var (tenant, entry) in snapshot.OrderBy(e => Volatile.Read(ref e.Value.LastUsedTicks)).Take(snapshot.Length - keep))
                _cache.TryRemove(new KeyValuePair<string, Entry>(tenant, entry));
        }
    }
}
