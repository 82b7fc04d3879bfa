using System.Collections.Frozen;
using Kuma.Resources.Core;

namespace Kuma.Resources;

/// <summary>
/// The core resource types. Policy types live with their Envoy plugins in the generation library, which
/// joins them to these in its resource catalog; code here only needs to tell core types from policies.
/// </summary>
public static class ResourceTypes
{
    public static readonly ResourceDescriptor<MeshSpec> Mesh = new()
    {
        Name = "Mesh",
        Plural = "meshes",
        Scope = ResourceScope.Global,
        ShortName = "m",
        NameIsDnsLabel = true,
        Validate = CoreValidators.Mesh,
    };

    public static readonly ResourceDescriptor<DataplaneSpec> Dataplane = new()
    {
        Name = "Dataplane",
        Plural = "dataplanes",
        Scope = ResourceScope.Mesh,
        ShortName = "dp",
        Validate = CoreValidators.Dataplane,
    };

    public static readonly ResourceDescriptor<SecretSpec> Secret = new()
    {
        Name = "Secret",
        Plural = "secrets",
        Scope = ResourceScope.Mesh,
        Validate = CoreValidators.Secret,
    };

    public static readonly ResourceDescriptor<SecretSpec> GlobalSecret = new()
    {
        Name = "GlobalSecret",
        Plural = "global-secrets",
        Scope = ResourceScope.Global,
        Validate = CoreValidators.Secret,
    };

    public static readonly ResourceDescriptor<TenantSpec> Tenant = new()
    {
        Name = "Tenant",
        Plural = "tenants",
        Scope = ResourceScope.Global,
        SystemOnly = true,
        NameIsDnsLabel = true,
        Validate = CoreValidators.Tenant,
    };

    public static readonly IReadOnlyList<ResourceDescriptor> Core = [Mesh, Dataplane, Secret, GlobalSecret, Tenant];

    private static readonly FrozenSet<string> CoreNames = Core.Select(d => d.Name).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every resource type that is not a core type is a policy.</summary>
    public static bool IsCore(string typeName) => CoreNames.Contains(typeName);
}
