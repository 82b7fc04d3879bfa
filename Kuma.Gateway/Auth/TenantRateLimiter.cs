using System.Threading.RateLimiting;

namespace Kuma.Gateway.Auth;

/// <summary>
/// A token bucket per tenant: a burst of one second's worth, refilled every 100 ms. Partitions are keyed
/// by tenant and rate, so a changed limit takes effect on the next request.
/// </summary>
public sealed class TenantRateLimiter(int defaultRequestsPerSecond) : IDisposable
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
        using var lease = _limiter.AttemptAcquire((tenant, requestsPerSecond ?? DefaultRequestsPerSecond));
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose() => _limiter.Dispose();
}
