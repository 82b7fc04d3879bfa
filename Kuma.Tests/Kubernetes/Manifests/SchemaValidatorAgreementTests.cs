using System.Text.Json.Nodes;
using Kuma.Kumactl.Install;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>
/// "The CRDs' schemas match our validation": every spec of Kuma's validator tables (Policies/Validation, ported from
/// Kuma's tests) that our validator accepts is accepted by the generated CRD's schema too, so nothing the API takes is
/// refused or silently pruned by Kubernetes first. The checker is <see cref="StructuralSchema"/>.
/// </summary>
public sealed class SchemaValidatorAgreementTests
{
    /// <summary>Kuma's tests carry these beside the fields; as a custom resource they are metadata.</summary>
    private static readonly string[] MetadataKeys = ["type", "name", "mesh"];

    [Fact]
    public void Every_spec_the_validator_accepts_the_crd_schema_accepts()
    {
        var mismatches = new List<string>();
        var accepted = 0;
        var tables = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "Policies", "Validation")).Order(StringComparer.Ordinal).ToList();
        foreach (var table in tables)
        {
            var type = Path.GetFileName(table);
            var descriptor = PolicyTypes.Catalog.FindByName(type) ?? throw new InvalidOperationException($"no resource type {type} for {table}");
            var schema = SpecSchemaOf(descriptor);
            foreach (var (name, input) in Cases(Path.Combine(table, "cases.yaml")))
            {
                var spec = SpecOf(descriptor, input);
                var errors = new ValidationErrors();
                descriptor.BindAndValidate(spec?.DeepClone(), FieldPath.Root, errors);
                if (!errors.IsEmpty) continue;
                accepted++;
                mismatches.AddRange(StructuralSchema.Check(spec, schema, "spec").Select(m => $"{type} \"{name}\": {m}"));
            }
        }
        Assert.True(tables.Count >= 18, $"only {tables.Count} validator tables found");
        Assert.True(accepted >= 100, $"only {accepted} accepted specs were checked");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} accepted specs the CRD schemas refuse:\n{string.Join('\n', mismatches)}");
    }

    [Fact]
    public void The_checker_refuses_what_the_schema_rules_out()
    {
        var schema = SpecSchemaOf(PolicyTypes.Catalog.FindByName("MeshTimeout")!);
        var spec = JsonNode.Parse("""{"targetRef":{"kind":"Pod"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":5,"extra":true}}]}""");
        Assert.Equal(
        [
            """spec.targetRef.kind: "Pod" is not one of ["Mesh","MeshSubset","MeshService","MeshServiceSubset","MeshExternalService","MeshMultiZoneService","MeshGateway","MeshHTTPRoute","Dataplane"]""",
            "spec.to[0].default.idleTimeout: Number where the schema has string",
            "spec.to[0].default.extra: unknown field (the API server would drop it)",
        ], StructuralSchema.Check(spec, schema, "spec"));

        var route = SpecSchemaOf(PolicyTypes.Catalog.FindByName("MeshHTTPRoute")!);
        var routeSpec = JsonNode.Parse("""{"to":[{"targetRef":{"kind":"MeshService","name":"b"},"rules":[{"matches":[{"path":{"value":"/"},"method":"FETCH"}]}]}]}""");
        Assert.Equal(
        [
            "spec.to[0].rules[0].matches[0].path.type: required",
            """spec.to[0].rules[0].matches[0].method: "FETCH" is not one of ["CONNECT","DELETE","GET","HEAD","OPTIONS","PATCH","POST","PUT","TRACE"]""",
        ], StructuralSchema.Check(routeSpec, route, "spec"));
    }

    private static JsonObject SpecSchemaOf(ResourceDescriptor descriptor) =>
        CustomResourceDefinitions.Build(descriptor)["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!.AsObject();

    private static JsonNode? SpecOf(ResourceDescriptor descriptor, string yaml)
    {
        var node = YamlToJson.Convert(yaml);
        if (!descriptor.IsPolicy && node is JsonObject body)
        {
            foreach (var key in MetadataKeys) body.Remove(key);
        }
        return node;
    }

    private static IEnumerable<(string Name, string Input)> Cases(string file) =>
        YamlToJson.Convert(File.ReadAllText(file))!.AsArray()
            .Select(entry => (entry!["name"]!.GetValue<string>(), entry["input"]!.GetValue<string>()));
}
