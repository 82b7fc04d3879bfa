using System.Text.Json.Nodes;
using Kuma.Validation;
using Kuma.Gateway.Api;
using Kuma.Policies;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.Policies.Golden;

/// <summary>
/// Each policy folder's <c>testdata/&lt;case&gt;.input.yaml</c> (dataplanes, policies, the proxy to show)
/// generates the Envoy resources kept beside it in <c>&lt;case&gt;.golden.json</c>; any drift fails here.
/// Review a change to a golden file like code. Regenerate them all with:
/// <c>KUMA_UPDATE_GOLDEN=1 dotnet test Kuma.Tests --filter PolicyGoldenTests</c>
/// </summary>
public sealed class PolicyGoldenTests
{
    private static string PoliciesRoot => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Xds", "Policies");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(PoliciesRoot, "*.input.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            cases.Add(Path.GetRelativePath(PoliciesRoot, file));
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_config_matches_the_policy_golden_file(string inputFile)
    {
        var inputPath = Path.Combine(PoliciesRoot, inputFile);
        var input = YamlToJson.Convert(File.ReadAllText(inputPath))!.AsObject();
        var mesh = GoldenCase.Build(input);
        var proxy = (string?)input["proxy"] ?? throw new InvalidOperationException($"{inputFile}: 'proxy' names the dataplane to show");
        var text = ConfigDump.ToIndentedString(GoldenCase.Render(mesh, proxy, (string?)input["show"], (bool?)input["endpoints"] == true, GoldenCase.Node(input))) + "\n";

        var goldenPath = inputPath.Replace(".input.yaml", ".golden.json", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1") File.WriteAllText(goldenPath, text);
        Assert.True(File.Exists(goldenPath), $"no golden file {goldenPath}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(goldenPath), text);
    }

    [Fact]
    public void Every_policy_type_with_a_plugin_has_golden_cases()
    {
        var withCases = Directory.EnumerateFiles(PoliciesRoot, "*.input.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(PoliciesRoot, f).Split(Path.DirectorySeparatorChar)[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = PolicyTypes.All.Where(t => t.Plugin is not null)
            .Select(t => t.Plugin!.GetType().Namespace!.Split('.')[^1])
            .Where(folder => !withCases.Contains(folder)); // namespaces spell acronyms as words: MeshHttpRoute in MeshHTTPRoute
        Assert.Empty(missing);
    }
}

/// <summary>Builds a mesh from a golden case's input and renders one proxy's resources.</summary>
internal static class GoldenCase
{
    public static MeshContext Build(JsonObject input)
    {
        var dataplanes = (input["dataplanes"]?.AsObject() ?? []).Select(d => (d.Key, d.Value!.ToJsonString())).ToList();
        var policies = (input["policies"]?.AsArray() ?? []).Select(p => ((string)p!["type"]!, (string)p["name"]!, p["spec"]!.ToJsonString())).ToList();
        if ((bool?)input["defaultPolicies"] == true)
            policies.AddRange(DefaultPolicies.Instance.For("default", null).Select(d => (d.Type, d.Name, d.SpecJson)));
        // Dataplane resource labels (kuma.io/zone, kuma.io/workload, ...) by dataplane name.
        var labels = (input["labels"]?.AsObject() ?? []).ToDictionary(d => d.Key,
            d => (IReadOnlyDictionary<string, string>)d.Value!.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!));
        return InProcessMesh.Build(dataplanes, mesh: "default", policies: policies, labels: labels, meshSpec: input["mesh"]?.ToJsonString());
    }

    /// <summary>What the proxy's xDS node reports in its metadata (<c>node:</c>, e.g. <c>metricsCertPath</c>), as kuma-dp sends it.</summary>
    public static ProxyNode Node(JsonObject input) => input["node"] is JsonObject node
        ? ProxyNode.Of(Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(node.ToJsonString()))
        : ProxyNode.None;

    /// <summary>
    /// A sidecar's listeners and clusters (what a wildcard subscription gets), with <paramref name="endpoints"/>
    /// also the endpoints of each of its clusters (what Envoy then asks for by name); or a proxyless client's
    /// resources for one service.
    /// </summary>
    public static JsonObject Render(MeshContext mesh, string proxy, string? show, bool endpoints = false, ProxyNode? node = null)
    {
        var config = mesh.ForProxy(proxy, node);
        var clusters = config.Wildcard(TypeUrls.Cluster);
        IEnumerable<(string Type, XdsResource? Resource)> resources = show is { } s && s.StartsWith("proxyless:", StringComparison.Ordinal)
            ? new[] { TypeUrls.Listener, TypeUrls.RouteConfiguration, TypeUrls.Cluster }.Select(t => (t, config.Find(t, s["proxyless:".Length..])))
            : config.Wildcard(TypeUrls.Listener).Concat(clusters).Select(r => (r.TypeUrl, (XdsResource?)r))
                .Concat(endpoints ? clusters.Select(c => (TypeUrls.ClusterLoadAssignment, config.Find(TypeUrls.ClusterLoadAssignment, c.Name))) : []);
        var rendered = new JsonObject();
        foreach (var group in resources.Where(r => r.Resource is not null).GroupBy(r => TypeUrls.ShortName(r.Type)))
            rendered[group.Key] = new JsonArray([.. group.Select(r => ConfigDump.ToJson(r.Resource!))]);
        // What failed to apply and was left out, as the proxy's _overview lists it.
        if (config.PolicyErrors.Length > 0)
            rendered["policyErrors"] = new JsonArray([.. config.PolicyErrors.Select(e => new JsonObject { ["type"] = e.Type, ["resource"] = e.Resource, ["message"] = e.Message })]);
        return rendered;
    }
}
