using System.Collections.Frozen;

namespace Kuma.Resources;

/// <summary>
/// Every resource type this control plane serves: the core types and the policy types registered with
/// the generation library. The host builds one and hands it to the API and the grains.
/// </summary>
public sealed class ResourceCatalog
{
    private readonly FrozenDictionary<string, ResourceDescriptor> _byName;
    private readonly FrozenDictionary<string, ResourceDescriptor> _byPlural;

    public ResourceCatalog(IEnumerable<ResourceDescriptor> types)
    {
        All = [.. types];
        _byName = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);
        _byPlural = All.ToFrozenDictionary(d => d.Plural, StringComparer.Ordinal);
        Policies = [.. All.Where(d => d.IsPolicy)];
    }

    public IReadOnlyList<ResourceDescriptor> All { get; }
    public IReadOnlyList<ResourceDescriptor> Policies { get; }

    public ResourceDescriptor? FindByName(string name) => _byName.GetValueOrDefault(name);
    public ResourceDescriptor? FindByPlural(string plural) => _byPlural.GetValueOrDefault(plural);
}

/// <summary>The resources created with every new mesh (Kuma's default policies), as the generation library defines them.</summary>
public interface IMeshDefaults
{
    /// <summary>Type name, resource name and canonical spec JSON of each, less the types the mesh asks to skip (<c>*</c> skips all).</summary>
    IReadOnlyList<(string Type, string Name, string SpecJson)> For(string mesh, IReadOnlyCollection<string>? skip);
}
