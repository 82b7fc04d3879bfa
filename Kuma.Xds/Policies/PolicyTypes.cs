using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshFaultInjection;
using Kuma.Policies.MeshHealthCheck;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.MeshProxyPatch;
using Kuma.Policies.MeshRateLimit;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTimeout;
using Kuma.Policies.MeshTrafficPermission;
using Kuma.Policies.Rules;
using Kuma.Resources;

namespace Kuma.Policies;

/// <summary>
/// The registry of policy types: adding one is its folder plus one line here. The order is the order in
/// which their plugins change each resource.
/// </summary>
public static class PolicyTypes
{
    public static readonly IReadOnlyList<PolicyType> All =
    [
        // Routes first: the plugins after them shape the routes it made.
        new(MeshHttpRoutePolicy.Descriptor, new MeshHttpRoutePlugin()),
        new(MeshTrafficPermissionPolicy.Descriptor, Plugin: null),
        new(MeshFaultInjectionPolicy.Descriptor, new MeshFaultInjectionPlugin()),
        new(MeshTimeoutPolicy.Descriptor, new MeshTimeoutPlugin()),
        // Before MeshCircuitBreaker, as in Kuma: its healthy panic threshold wins over this one's deprecated copy.
        new(MeshHealthCheckPolicy.Descriptor, new MeshHealthCheckPlugin()),
        new(MeshRetryPolicy.Descriptor, new MeshRetryPlugin()),
        new(MeshCircuitBreakerPolicy.Descriptor, new MeshCircuitBreakerPlugin()),
        // Kuma runs it right after fault injection; last here acts the same: the plugins in between touch neither its
        // filters nor the routes' per-filter configs, and it puts its HTTP filter after the fault filters either way.
        new(MeshRateLimitPolicy.Descriptor, new MeshRateLimitPlugin()),
        // Last, as in Kuma: its patches change what every other plugin made.
        new(MeshProxyPatchPolicy.Descriptor, new MeshProxyPatchPlugin()),
    ];

    /// <summary>Core types and every policy type: what the API serves and the grains count.</summary>
    public static readonly ResourceCatalog Catalog = new([.. ResourceTypes.Core, .. All.Select(p => p.Descriptor)]);
}
