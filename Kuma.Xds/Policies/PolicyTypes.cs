using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshFaultInjection;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTimeout;
using Kuma.Policies.MeshTrafficPermission;
using Kuma.Resources;

namespace Kuma.Policies;

/// <summary>The registry of policy types: adding one is its folder plus one line here.</summary>
public static class PolicyTypes
{
    public static readonly IReadOnlyList<ResourceDescriptor> All =
    [
        MeshTimeoutPolicy.Descriptor,
        MeshRetryPolicy.Descriptor,
        MeshCircuitBreakerPolicy.Descriptor,
        MeshTrafficPermissionPolicy.Descriptor,
        MeshHttpRoutePolicy.Descriptor,
        MeshFaultInjectionPolicy.Descriptor,
    ];

    /// <summary>Core types and every policy type: what the API serves and the grains count.</summary>
    public static readonly ResourceCatalog Catalog = new([.. ResourceTypes.Core, .. All]);
}
