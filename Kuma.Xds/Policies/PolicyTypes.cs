using Kuma.Policies.MeshAccessLog;
using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshFaultInjection;
using Kuma.Policies.MeshHealthCheck;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.MeshMetric;
using Kuma.Policies.MeshPassthrough;
using Kuma.Policies.MeshLoadBalancingStrategy;
using Kuma.Policies.MeshProxyPatch;
using Kuma.Policies.MeshRateLimit;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTcpRoute;
using Kuma.Policies.MeshTimeout;
using Kuma.Policies.MeshTls;
using Kuma.Policies.MeshTrace;
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
        // Right after MeshHTTPRoute, as in Kuma: where both apply to an HTTP outbound, the first claim wins.
        new(MeshTcpRoutePolicy.Descriptor, new MeshTcpRoutePlugin()),
        // Kuma's order 300: its mode may rebuild an inbound's filter chains, so it comes before the plugins that edit them.
        new(MeshTlsPolicy.Descriptor, new MeshTlsPlugin()),
        // Kuma's order (400): hash policies go on the routes just made; its locality-weighted balancing is set before
        // MeshHealthCheck decides whether panic mode has a place on the cluster.
        new(MeshLoadBalancingStrategyPolicy.Descriptor, new MeshLoadBalancingStrategyPlugin()),
        // Kuma's order 500: before access logs, tracing and proxy patches, which act on the passthrough chains it makes.
        new(MeshPassthroughPolicy.Descriptor, new MeshPassthroughPlugin()),
        // Kuma's order (600): after routes, before fault injection; its proxy-wide step fills in what its units left open.
        new(MeshAccessLogPolicy.Descriptor, new MeshAccessLogPlugin()),
        // Kuma's place (order 700); it only sets each connection manager's tracing, which no other plugin touches.
        new(MeshTracePolicy.Descriptor, new MeshTracePlugin()),
        new(MeshFaultInjectionPolicy.Descriptor, new MeshFaultInjectionPlugin()),
        new(MeshTimeoutPolicy.Descriptor, new MeshTimeoutPlugin()),
        // Before MeshCircuitBreaker, as in Kuma: its healthy panic threshold wins over this one's deprecated copy.
        new(MeshHealthCheckPolicy.Descriptor, new MeshHealthCheckPlugin()),
        new(MeshRetryPolicy.Descriptor, new MeshRetryPlugin()),
        new(MeshCircuitBreakerPolicy.Descriptor, new MeshCircuitBreakerPlugin()),
        // Kuma runs it right after fault injection; last here acts the same: the plugins in between touch neither its
        // filters nor the routes' per-filter configs, and it puts its HTTP filter after the fault filters either way.
        new(MeshRateLimitPolicy.Descriptor, new MeshRateLimitPlugin()),
        // Kuma's order 1100, after MeshRateLimit (900): its RBAC filter is put first in the inbound's chain or
        // connection manager, ahead of the rate limit; the plugins Kuma runs in between touch neither.
        new(MeshTrafficPermissionPolicy.Descriptor, new MeshTrafficPermissionPlugin()),
        // Kuma's order 1500, after MeshRetry; it only adds resources of its own in the proxy-wide step.
        new(MeshMetricPolicy.Descriptor, new MeshMetricPlugin()),
        // Last, as in Kuma: its patches change what every other plugin made.
        new(MeshProxyPatchPolicy.Descriptor, new MeshProxyPatchPlugin()),
    ];

    /// <summary>Core types and every policy type: what the API serves and the grains count.</summary>
    public static readonly ResourceCatalog Catalog = new([.. ResourceTypes.Core, .. All.Select(p => p.Descriptor)]);
}
