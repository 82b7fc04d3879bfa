using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kuma.ClusterAgent.Pods;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Sidecar.Bootstrap;
using Kuma.Validation;

namespace Kuma.Tests.Kubernetes.Pods;

/// <summary>
/// Our Dataplane against Kuma's for the same Pod and Services: the cases of Kuma's pod converter test as data in
/// testdata/ (see its README), compared field by field.
/// </summary>
public sealed class PodConverterGoldenTests
{
    /// <summary>Where our Dataplane differs from Kuma's, and why. Nothing else may.</summary>
    private static readonly Dictionary<string, string> AllowedDifferences = new(StringComparer.Ordinal)
    {
        ["spec.networking.outbound"] = "Kuma lists outbounds from the other Dataplanes; this control plane hands out VIP outbounds itself",
        ["labels.kuma.io/mesh"] = "the API sets it from the URL's mesh",
        ["labels.kuma.io/proxy-type"] = "computed by Kuma's control plane from the resource, not by its converter's caller",
        ["labels.kuma.io/zone"] = "the agent's contract: every resource it writes names its zone",
        ["labels.kuma.io/origin"] = "the agent's contract: resources it writes come from a zone",
        ["labels.kuma.io/managed-by"] = "the agent's contract: it only changes resources carrying this label",
        ["labels.kuma.io/workload"] = "computed by Kuma's control plane (workload labels setting), which this product does not have",
    };

    /// <summary>Case, Pod file, Services file (Kuma's table reuses 08's Services for 24 and 25).</summary>
    private static readonly (string Case, string Services)[] Table =
    [
        ("01", "01"), ("02", "02"), ("04", "04"), ("05", "05"), ("06", "06"), ("07", "07"), ("08", "08"), ("10", "10"),
        ("11", "11"), ("12", "12"), ("13", ""), ("15", "15"), ("17", "17"), ("19", "19"), ("23", "23"), ("24", "08"),
        ("25", "08"), ("28", "28"), ("29", "29"), ("30", "30"), ("31", "31"), ("32", "32"), ("33", "33"),
        ("mismatch-ports", "mismatch-ports"), ("overlapping-inbounds", "overlapping-inbounds"),
    ];

    private static string TestData => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Kubernetes", "Pods", "testdata");

    public static TheoryData<string> Cases() => new(Table.Select(c => c.Case));

    [Fact]
    public void Every_ported_case_has_its_files()
    {
        var expected = Table.Select(c => c.Case + ".dataplane.yaml").Order(StringComparer.Ordinal).ToList();
        var present = Directory.GetFiles(TestData, "*.dataplane.yaml").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, present);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_dataplane_equals_kumas_for_the_same_pod(string name)
    {
        var differences = Differences(name);
        var unexplained = differences.Where(d => AllowedKey(d.Path) is null).ToList();
        Assert.True(unexplained.Count == 0, $"{name} differs from Kuma's Dataplane at:\n" + string.Join("\n", unexplained));
    }

    [Fact]
    public void The_allowed_differences_are_the_ones_kuma_cases_show()
    {
        var seen = Table.SelectMany(c => Differences(c.Case)).Select(d => AllowedKey(d.Path)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Equal(AllowedDifferences.Keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    private static List<JsonTreeDiff.Difference> Differences(string name)
    {
        var services = Table.Single(c => c.Case == name).Services;
        var pod = KubernetesYaml.Deserialize<V1Pod>(File.ReadAllText(Path.Combine(TestData, $"{name}.pod.yaml")));
        var servicesForPod = services.Length == 0 ? [] : Documents(File.ReadAllText(Path.Combine(TestData, $"{services}.services-for-pod.yaml")))
            .Select(d => KubernetesYaml.Deserialize<V1Service>(d)).ToList();
        var dataplane = PodConverter.Convert(pod, servicesForPod, ns: null, zone: "zone-1");
        var kumas = YamlToJson.Convert(File.ReadAllText(Path.Combine(TestData, $"{name}.dataplane.yaml")))!.AsObject();
        var expected = new JsonObject
        {
            ["mesh"] = kumas["mesh"]?.DeepClone(),
            ["labels"] = kumas["metadata"]?["labels"]?.DeepClone(),
            ["spec"] = kumas["spec"]?.DeepClone(),
        };
        var actual = new JsonObject
        {
            ["mesh"] = dataplane.Mesh,
            ["labels"] = JsonSerializer.SerializeToNode(dataplane.Labels),
            ["spec"] = ProtoJsonStyle(JsonSerializer.SerializeToNode(dataplane.Spec, AgentJson.Options)),
        };
        return JsonTreeDiff.Between(expected, actual);
    }

    /// <summary>Kuma's YAML comes from protobuf, which leaves out false booleans: <c>health: {}</c> is <c>ready: false</c>.</summary>
    private static JsonNode? ProtoJsonStyle(JsonNode? spec)
    {
        foreach (var inbound in spec?["networking"]?["inbound"]?.AsArray() ?? [])
        {
            if (inbound?["health"] is JsonObject health && health["ready"]?.GetValue<bool>() == false) health.Remove("ready");
        }
        return spec;
    }

    private static IEnumerable<string> Documents(string yaml) =>
        yaml.Split("\n---", StringSplitOptions.RemoveEmptyEntries).Select(d => d.TrimStart('-')).Where(d => d.Trim().Length > 0);

    private static string? AllowedKey(string path) =>
        AllowedDifferences.Keys.FirstOrDefault(allowed => path == allowed || path.StartsWith(allowed + ".", StringComparison.Ordinal) || path.StartsWith(allowed + "[", StringComparison.Ordinal));
}
