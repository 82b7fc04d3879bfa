using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Gateway.Api;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Infrastructure;

/// <summary>A mesh built in memory from dataplane specs, for generation tests that need no control plane.</summary>
public static class InProcessMesh
{
    public static MeshContext Build(IEnumerable<(string Name, string Spec)> dataplanes, string tenant = "t", string mesh = "m1", long generation = 1,
        IEnumerable<(string Type, string Name, string Spec)>? policies = null, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? labels = null,
        string? meshSpec = null) =>
        MeshContext.Build(Snapshot(dataplanes, tenant, mesh, generation, policies, labels, meshSpec));

    /// <summary>A mesh snapshot of these dataplanes and policies, each validated as the API would (JSON or YAML specs); the Mesh's own spec is empty unless given.</summary>
    public static MeshSnapshot Snapshot(IEnumerable<(string Name, string Spec)> dataplanes, string tenant = "t", string mesh = "m1", long generation = 1,
        IEnumerable<(string Type, string Name, string Spec)>? policies = null, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? labels = null,
        string? meshSpec = null)
    {
        var byName = dataplanes.ToImmutableSortedDictionary(
            d => d.Name,
            d => new StoredResource
            {
                Key = new ResourceKey(tenant, ResourceTypes.Dataplane.Name, mesh, d.Name),
                SpecJson = ResourceTypes.Dataplane.BindAndValidate(JsonNode.Parse(d.Spec), FieldPath.Root, new ValidationErrors())
                    ?? throw new ArgumentException($"dataplane {d.Name} is not valid", nameof(dataplanes)),
                Version = 1,
                Labels = labels?.GetValueOrDefault(d.Name)?.ToImmutableSortedDictionary(StringComparer.Ordinal) ?? ImmutableSortedDictionary<string, string>.Empty,
            },
            StringComparer.Ordinal);
        var meshResource = new StoredResource { Key = ResourceKey.Global(tenant, ResourceTypes.Mesh.Name, mesh), SpecJson = meshSpec is null ? "{}" : Validated(ResourceTypes.Mesh, mesh, meshSpec), Version = 1 };
        var byType = ImmutableSortedDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, StoredResource>>(StringComparer.Ordinal);
        byType[ResourceTypes.Dataplane.Name] = byName;
        foreach (var group in (policies ?? []).GroupBy(p => p.Type))
        {
            var descriptor = PolicyTypes.Catalog.FindByName(group.Key) ?? throw new ArgumentException($"unknown policy type {group.Key}", nameof(policies));
            byType[group.Key] = group.ToImmutableSortedDictionary(p => p.Name, p => new StoredResource
            {
                Key = new ResourceKey(tenant, group.Key, mesh, p.Name),
                SpecJson = Validated(descriptor, p.Name, p.Spec),
                Version = 1,
            }, StringComparer.Ordinal);
        }
        return new MeshSnapshot(tenant, mesh, generation, meshResource, byType.ToImmutable());
    }

    private static string Validated(ResourceDescriptor descriptor, string name, string spec)
    {
        var errors = new ValidationErrors();
        var node = spec.TrimStart().StartsWith('{') ? JsonNode.Parse(spec) : YamlToJson.Convert(spec);
        return descriptor.BindAndValidate(node, FieldPath.Root, errors)
            ?? throw new ArgumentException($"{descriptor.Name} {name} is not valid: {string.Join("; ", errors.ToImmutable().Select(e => $"{e.Field}: {e.Reason}"))}", nameof(spec));
    }
}
