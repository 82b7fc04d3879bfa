using System.Collections.Concurrent;
using Kuma.Grains;

namespace Kuma.Gateway.Auth;

/// <summary>
/// The edge's short-lived cache of which tenants exist and their API limits, so an authenticated request
/// costs no grain call in the common case. Entries live one second: a deleted tenant's tokens stop
/// working within that, and a raised rate limit applies as quickly.
/// </summary>
public sealed class TenantDirectory(IGrainFactory grains, TimeProvider clock)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (TenantLimits? Limits, DateTimeOffset Fetched)> _cache = new();

    public async ValueTask<TenantLimits?> GetLimitsAsync(string tenant)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(tenant, out var entry) && now - entry.Fetched < Ttl) return entry.Limits;
        var limits = await grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(tenant)).GetLimits();
        _cache[tenant] = (limits, now);
        return limits;
    }

    public void Invalidate(string tenant) => _cache.TryRemove(tenant, out _);
}
