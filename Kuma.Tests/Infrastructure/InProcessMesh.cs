using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Infrastructure;

/// <summary>A mesh built in memory from dataplane specs, for generation tests that need no control plane.</summary>
public static class InProcessMesh
{
    public static MeshContext Build(IEnumerable<(string Name, string Spec)> dataplanes, string tenant = "t", string mesh = "m1", long generation = 1) =>
        MeshContext.Build(Snapshot(dataplanes, tenant, mesh, generation));

    public static MeshSnapshot Snapshot(IEnumerable<(string Name, string Spec)> dataplanes, string tenant = "t", string mesh = "m1", long generation = 1)
    {
        var byName = dataplanes.ToImmutableSortedDictionary(
            d => d.Name,
            d => new StoredResource
            {
                Key = new ResourceKey(tenant, ResourceTypes.Dataplane.Name, mesh, d.Name),
                SpecJson = ResourceTypes.Dataplane.BindAndValidate(JsonNode.Parse(d.Spec), FieldPath.Root, new ValidationErrors())
                    ?? throw new ArgumentException($"dataplane {d.Name} is not valid", nameof(dataplanes)),
                Version = 1,
            },
            StringComparer.Ordinal);
        var meshResource = new StoredResource { Key = ResourceKey.Global(tenant, ResourceTypes.Mesh.Name, mesh), SpecJson = "{}", Version = 1 };
        return new MeshSnapshot(tenant, mesh, generation, meshResource,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(ResourceTypes.Dataplane.Name, byName)]));
    }
}
