using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Policies.Golden;
using Kuma.Validation;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.Sidecar;

/// <summary>
/// Kuma's admin and probe generator cases (pkg/xds/generator/testdata/admin and probe in Kuma v2.14.3), ported as
/// data: <c>Sidecar/testdata/{admin,probe}/&lt;case&gt;.input.yaml</c> (the dataplane and what its node reports)
/// generates the admin, readiness and probe resources kept in <c>&lt;case&gt;.golden.json</c>. Regenerate with:
/// <c>KUMA_UPDATE_GOLDEN=1 dotnet test Kuma.Tests --filter AdminGoldenTests</c>
/// </summary>
public sealed class AdminGoldenTests
{
    private static readonly string[] SystemNames = [AdminResources.AdminName, AdminResources.ReadinessCluster, ProbeResources.ListenerName];

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(HttpConnectionManager.Descriptor, Router.Descriptor)));

    private static string Root => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Sidecar", "testdata");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.input.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            cases.Add(Path.GetRelativePath(Root, file));
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Admin_and_probe_resources_match_the_golden_file(string inputFile)
    {
        var inputPath = Path.Combine(Root, inputFile);
        var input = YamlToJson.Convert(File.ReadAllText(inputPath))!.AsObject();
        var mesh = GoldenCase.Build(input);
        var proxy = (string)input["proxy"]!;
        var config = mesh.ForProxy(proxy, GoldenCase.Node(input));

        var resources = config.Wildcard(TypeUrls.Listener).Concat(config.Wildcard(TypeUrls.Cluster))
            .Where(r => SystemNames.Contains(r.Name)).ToList();
        foreach (var resource in resources) AssertParsesBack(resource);
        var rendered = new JsonObject();
        foreach (var group in resources.GroupBy(r => TypeUrls.ShortName(r.TypeUrl)))
            rendered[group.Key] = new JsonArray([.. group.Select(ConfigDump.ToJson)]);
        var text = ConfigDump.ToIndentedString(rendered) + "\n";

        var goldenPath = inputPath.Replace(".input.yaml", ".golden.json", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1") File.WriteAllText(goldenPath, text);
        Assert.True(File.Exists(goldenPath), $"no golden file {goldenPath}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(goldenPath), text);
    }

    /// <summary>The resource decodes as its typed message, its connection managers too, and its JSON form parses back to the same message.</summary>
    private static void AssertParsesBack(XdsResource resource)
    {
        IMessage typed = resource.TypeUrl == TypeUrls.Listener ? resource.Payload.Unpack<Listener>() : resource.Payload.Unpack<Cluster>();
        if (typed is Listener listener)
        {
            foreach (var filter in listener.FilterChains.SelectMany(c => c.Filters))
                Assert.NotNull(filter.TypedConfig.Unpack<HttpConnectionManager>().RouteConfig);
        }
        var json = ConfigDump.ToJson(resource).AsObject();
        json.Remove("@type");
        Assert.Equal(typed, Parser.Parse(json.ToJsonString(), typed.Descriptor));
    }
}
