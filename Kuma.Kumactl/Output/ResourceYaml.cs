namespace Kuma.Kumactl.Output;

/// <summary>
/// How kumactl prints one resource in YAML: a core type's metadata first, then its fields; a policy's keys all
/// sorted (its fields sit under <c>spec</c>).
/// </summary>
public static class ResourceYaml
{
    public static string Write(System.Text.Json.Nodes.JsonObject resource, Kuma.Kumactl.Resources.KumactlType type) =>
        YamlText.Write(resource, type.Descriptor.IsPolicy ? null : MetaKeys);

    public static readonly IReadOnlySet<string> MetaKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "creationTime", "kri", "labels", "mesh", "modificationTime", "name", "type",
    };
}
