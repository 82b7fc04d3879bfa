using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Gateway.Dp;
using Kuma.Resources;
using Kuma.Tests.Infrastructure;
using Kuma.Validation;
using EnvoyBootstrap = Envoy.Config.Bootstrap.V3.Bootstrap;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>
/// Our bootstrap against Kuma's own for the same inputs: every case of Kuma's bootstrap generator test, its inputs
/// and its golden output kept as data in testdata/, compared field by field.
/// </summary>
public sealed class BootstrapGoldenTests
{
    /// <summary>Where our bootstrap must differ from Kuma's, and why. Nothing else may.</summary>
    private static readonly Dictionary<string, string> AllowedDifferences = new(StringComparer.Ordinal)
    {
        ["hdsConfig"] = "Kuma points Envoy at its health discovery service; this control plane has none, so Envoy is not pointed at one",
        ["layeredRuntime.layers[1]"] = "Kuma's builtin gateways read a runtime layer over RTDS, which this control plane does not serve (Envoy would wait for it at every start)",
    };

    private static readonly JsonSerializerOptions SettingsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static string TestData => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Sidecar", "Bootstrap", "testdata");

    private static IEnumerable<string> CaseNames() =>
        Directory.GetFiles(TestData, "generator.*.input.json").Order(StringComparer.Ordinal)
            .Select(file => Path.GetFileName(file)["generator.".Length..^".input.json".Length]);

    public static TheoryData<string> Cases() => new(CaseNames());

    [Fact]
    public void Every_case_of_kumas_generator_test_is_here()
    {
        Assert.Equal(13, CaseNames().Count());
        foreach (var golden in Directory.GetFiles(TestData, "generator.*.golden.yaml"))
            Assert.True(File.Exists(golden.Replace(".golden.yaml", ".input.json", StringComparison.Ordinal)), $"{golden} has no inputs");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_bootstrap_equals_kumas_for_the_same_inputs(string name)
    {
        var input = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData, $"generator.{name}.input.json")))!.AsObject();
        var result = Generate(input);
        var json = BootstrapJson.Format(result.Bootstrap);

        var kumas = YamlToJson.Convert(File.ReadAllText(Path.Combine(TestData, $"generator.{name}.golden.yaml")));
        var differences = JsonTreeDiff.Between(kumas, JsonNode.Parse(json));
        var unexplained = differences.Where(d => !IsAllowed(d.Path)).ToList();
        Assert.True(unexplained.Count == 0, $"{name} differs from Kuma's bootstrap at:\n" + string.Join("\n", unexplained));
        // The allowed differences are the parts Kuma has and we leave out, never changed values.
        Assert.All(differences, d => Assert.Equal("(missing)", d.Actual));

        // It is a typed Envoy Bootstrap, and nothing is lost in its JSON.
        Assert.Equal(result.Bootstrap, BootstrapJson.Parser.Parse<EnvoyBootstrap>(json));
    }

    [Fact]
    public void The_allowed_differences_are_the_ones_kuma_cases_show()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in CaseNames())
        {
            var input = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData, $"generator.{name}.input.json")))!.AsObject();
            var kumas = YamlToJson.Convert(File.ReadAllText(Path.Combine(TestData, $"generator.{name}.golden.yaml")));
            foreach (var d in JsonTreeDiff.Between(kumas, JsonNode.Parse(BootstrapJson.Format(Generate(input).Bootstrap))))
                seen.Add(AllowedDifferences.Keys.First(d.Path.StartsWith));
        }
        Assert.Equal(AllowedDifferences.Keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    private static bool IsAllowed(string path) =>
        AllowedDifferences.Keys.Any(allowed => path == allowed || path.StartsWith(allowed + ".", StringComparison.Ordinal) || path.StartsWith(allowed + "[", StringComparison.Ordinal));

    /// <summary>Our generator on a case's inputs, with the certificate Kuma's cases use as the DP server's.</summary>
    internal static BootstrapResult Generate(JsonObject input)
    {
        var request = BootstrapRequest.From(input["request"]!.AsObject());
        var dataplane = request.DataplaneResource.Length > 0
            ? BootstrapDataplaneResource.Parse(request.DataplaneResource, request)
            : ResourceTypes.Dataplane.Parse(input["dataplane"]!.ToJsonString());
        return BootstrapGenerator.Generate(new BootstrapInputs
        {
            Request = request,
            Dataplane = dataplane,
            Mesh = ResourceTypes.Mesh.Parse(input["mesh"]!.ToJsonString()),
            Settings = input["settings"].Deserialize<BootstrapSettings>(SettingsJson)!,
            RequestHost = "",
            DpPort = 5678,
            TrustedCaPem = File.ReadAllText(Path.Combine(TestData, "server-cert.pem")),
        });
    }
}
