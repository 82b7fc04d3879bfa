using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Kuma.Diagnostics;

/// <summary>One minute of a tenant's activity on one node.</summary>
[GenerateSerializer, Immutable, Alias("kuma.UsageMinute")]
public sealed record UsageMinute(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] long ApiCalls,
    [property: Id(2)] long ConfigPushes);

/// <summary>What one node saw of a tenant since its last report, and how many of the tenant's proxies it holds now.</summary>
[GenerateSerializer, Immutable, Alias("kuma.UsageReport")]
public sealed record UsageReport(
    [property: Id(0)] string Node,
    [property: Id(1)] int ConnectedProxies,
    [property: Id(2)] ImmutableArray<UsageMinute> Minutes);

/// <summary>A tenant's usage over a window, summed over every node of the cluster.</summary>
[GenerateSerializer, Immutable, Alias("kuma.TenantUsage")]
public sealed record TenantUsage(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] long Meshes,
    [property: Id(3)] long Dataplanes,
    [property: Id(4)] int ConnectedProxies,
    [property: Id(5)] long ApiCalls,
    [property: Id(6)] long ConfigPushes);

/// <summary>
/// A tenant's usage for billing (keyed by tenant name). Every node with an API or DP server reports its
/// per-minute counts every few seconds; the grain keeps <see cref="Retention"/> of minutes.
/// </summary>
[Alias("kuma.ITenantUsageGrain")]
public interface ITenantUsageGrain : IGrainWithStringKey
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    [Alias("Report")] Task Report(UsageReport report);

    [AlwaysInterleave, Alias("Get")] Task<TenantUsage> Get(TimeSpan window);
}
