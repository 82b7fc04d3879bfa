using System.Collections.Frozen;
using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTimeout;
using Kuma.Policies.MeshTrafficPermission;
using Kuma.Resources.Core;

namespace Kuma.Resources;

/// <summary>The registry of resource types. A new policy adds its descriptor to <see cref="All"/>.</summary>
public static class ResourceTypes
{
    public static readonly ResourceDescriptor<MeshSpec> Mesh = new()
    {
        Name = "Mesh", Plural = "meshes", Scope = ResourceScope.Global, ShortName = "m", NameIsDnsLabel = true, Validate = CoreValidators.Mesh,
    };

    public static readonly ResourceDescriptor<DataplaneSpec> Dataplane = new()
    {
        Name = "Dataplane", Plural = "dataplanes", Scope = ResourceScope.Mesh, ShortName = "dp", Validate = CoreValidators.Dataplane,
    };

    public static readonly ResourceDescriptor<SecretSpec> Secret = new()
    {
        Name = "Secret", Plural = "secrets", Scope = ResourceScope.Mesh, Validate = CoreValidators.Secret,
    };

    public static readonly ResourceDescriptor<SecretSpec> GlobalSecret = new()
    {
        Name = "GlobalSecret", Plural = "global-secrets", Scope = ResourceScope.Global, Validate = CoreValidators.Secret,
    };

    public static readonly ResourceDescriptor<TenantSpec> Tenant = new()
    {
        Name = "Tenant", Plural = "tenants", Scope = ResourceScope.Global, SystemOnly = true, NameIsDnsLabel = true, Validate = CoreValidators.Tenant,
    };

    public static readonly IReadOnlyList<ResourceDescriptor> All =
    [
        Mesh, Dataplane, Secret, GlobalSecret, Tenant,
        MeshTimeoutPolicy.Descriptor,
        MeshRetryPolicy.Descriptor,
        MeshCircuitBreakerPolicy.Descriptor,
        MeshTrafficPermissionPolicy.Descriptor,
    ];

    private static readonly FrozenDictionary<string, ResourceDescriptor> ByName = All.ToFrozenDictionary(d => d.Name);
    private static readonly FrozenDictionary<string, ResourceDescriptor> ByPlural = All.ToFrozenDictionary(d => d.Plural);

    public static ResourceDescriptor? FindByName(string name) => ByName.GetValueOrDefault(name);

    public static ResourceDescriptor? FindByPlural(string plural) => ByPlural.GetValueOrDefault(plural);

    public static IEnumerable<ResourceDescriptor> Policies => All.Where(d => d.IsPolicy);
}
