using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Benchmarks;

/// <summary>Mesh snapshots built in memory, as the mesh grain would hand them to a gateway.</summary>
internal static class BenchmarkMesh
{
    /// <summary>A stored dataplane whose spec went through the same validation as an API write.</summary>
    public static StoredResource Dataplane(string name, string spec) => new()
    {
        Key = new ResourceKey("t", "Dataplane", "m", name),
        SpecJson = ResourceTypes.Dataplane.BindAndValidate(JsonNode.Parse(spec), FieldPath.Root, new ValidationErrors())!,
        Version = 1,
    };

    public static MeshSnapshot Snapshot(ImmutableSortedDictionary<string, StoredResource> dataplanes, long generation = 1) =>
        new("t", "m", generation, new StoredResource { Key = new ResourceKey("t", "Mesh", "", "m"), SpecJson = "{}", Version = 1 },
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("Dataplane", dataplanes)]));
}
