using Kuma.Resources;

namespace Kuma.Gateway.Api;

/// <summary>
/// Kuma's resource identifier, <c>kri_{shortName}_{mesh}_{zone}_{namespace}_{name}_{section}</c>, for types that
/// have a short name; the zone and namespace come from the resource's labels, the name from its display name.
/// </summary>
public static class Kri
{
    public const string ZoneLabel = "kuma.io/zone";
    public const string NamespaceLabel = "k8s.kuma.io/namespace";
    public const string DisplayNameLabel = "kuma.io/display-name";

    /// <summary>Null for types Kuma gives no KRI (no short name).</summary>
    public static string? Of(ResourceDescriptor descriptor, string mesh, string name, IReadOnlyDictionary<string, string> labels)
    {
        if (descriptor.ShortName is not { Length: > 0 } shortName) return null;
        var displayName = labels.TryGetValue(DisplayNameLabel, out var display) && display.Length > 0 ? display : name;
        return $"kri_{shortName}_{mesh}_{labels.GetValueOrDefault(ZoneLabel, "")}_{labels.GetValueOrDefault(NamespaceLabel, "")}_{displayName}_";
    }

    public static string? Of(StoredResource resource, ResourceDescriptor descriptor) =>
        Of(descriptor, descriptor.Scope == ResourceScope.Mesh ? resource.Key.Mesh : "", resource.Key.Name, resource.Labels);
}
