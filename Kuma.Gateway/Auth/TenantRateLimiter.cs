using System.Threading.RateLimiting;

namespace Kuma.Gateway.Auth;

/// <summary>
/// A token bucket per tenant on this node, with no remote call per request: a burst of one second's worth,
/// refilled every 100 ms. A tenant's limit is shared fairly across the nodes serving the API: each
/// enforces ceil(limit / nodes), with nodes from <paramref name="nodes"/> (1 when not given or unknown).
/// Partitions are keyed by tenant and rate, so a changed limit or node count takes effect on the next request.
/// </summary>
public sealed class TenantRateLimiter(int defaultRequestsPerSecond, Func<int>? nodes = null) : IDisposable
{
    private readonly PartitionedRateLimiter<(string Tenant, int Rate)> _limiter =
        PartitionedRateLimiter.Create<(string Tenant, int Rate), (string, int)>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, k => new TokenBucketRateLimiterOptions
            {
                TokenLimit = k.Item2,
                TokensPerPeriod = Math.Max(1, k.Item2 / 10),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    public int DefaultRequestsPerSecond { get; } = defaultRequestsPerSecond;

    /// <summary>Null when the request may proceed; otherwise how long to wait.</summary>
    public TimeSpan? TryAcquire(string tenant, int? requestsPerSecond)
    {
        using var lease = _limiter.AttemptAcquire((tenant, ShareOfThisNode(requestsPerSecond ?? DefaultRequestsPerSecond)));
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    /// <summary>ceil(limit / nodes), at least 1.</summary>
    public int ShareOfThisNode(int requestsPerSecond)
    {
        var n = Math.Max(1, nodes?.Invoke() ?? 1);
        return Math.Max(1, (int)((requestsPerSecond + (long)n - 1) / n));
    }

    public void Dispose() => _limiter.Dispose();
}
