using Kuma.Policies;
using Kuma.Resources;

namespace Kuma.Kumactl.Resources;

/// <summary>A resource type as kumactl names it on the command line, and where the API keeps it.</summary>
public sealed class KumactlType(ResourceDescriptor descriptor)
{
    public ResourceDescriptor Descriptor { get; } = descriptor;
    public string Name => Descriptor.Name;
    public string Plural => Descriptor.Plural;
    public bool MeshScoped => Descriptor.Scope == ResourceScope.Mesh;
    public bool IsMesh => Descriptor == ResourceTypes.Mesh;

    /// <summary>Kuma's singular argument: core types in kebab case (<c>global-secret</c>), policies in lower case (<c>meshtimeout</c>).</summary>
    public string Singular => Descriptor.IsPolicy
        ? Name.ToLowerInvariant()
        : string.Concat(Name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public string ListPath(string mesh) => MeshScoped ? $"meshes/{Segment(mesh)}/{Plural}" : Plural;

    public string ItemPath(string mesh, string name) => IsMesh || !MeshScoped ? $"{Plural}/{Segment(name)}" : $"meshes/{Segment(mesh)}/{Plural}/{Segment(name)}";

    private static string Segment(string value) => Uri.EscapeDataString(value);
}

/// <summary>Every type this control plane serves, from the same catalog the control plane uses.</summary>
public static class KumactlTypes
{
    public static readonly IReadOnlyList<KumactlType> All = [.. PolicyTypes.Catalog.All.Select(d => new KumactlType(d))];

    public static KumactlType? ByName(string name) => All.FirstOrDefault(t => t.Name == name);

    public static KumactlType? BySingular(string singular) => All.FirstOrDefault(t => t.Singular == singular);
}
