using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
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

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(
        HttpConnectionManager.Descriptor, Router.Descriptor, TlsInspector.Descriptor, DownstreamTlsContext.Descriptor)));

    private static string Root => Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Sidecar", "testdata");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.input.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            cases.Add(Path.GetRelativePath(Root, file));
        return cases;
    }

    /// <summary>The cases ported from Kuma, each naming Kuma's golden output (<c>kuma:</c>, in <c>testdata/kuma</c>).</summary>
    public static TheoryData<string> KumaCases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.input.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Input(file)["kuma"] is not null) cases.Add(Path.GetRelativePath(Root, file));
        }
        return cases;
    }

    private static JsonObject Input(string path) => YamlToJson.Convert(File.ReadAllText(path))!.AsObject();

    /// <summary>The proxy's admin, readiness and probe resources, listeners first, each type in name order.</summary>
    private static List<XdsResource> SystemResources(JsonObject input) =>
        SystemResources(GoldenCase.Build(input).ForProxy((string)input["proxy"]!, GoldenCase.Node(input)));

    private static List<XdsResource> SystemResources(ProxyConfig config) =>
        [.. config.Wildcard(TypeUrls.Listener).Concat(config.Wildcard(TypeUrls.Cluster)).Where(r => SystemNames.Contains(r.Name))];

    [Theory]
    [MemberData(nameof(KumaCases))]
    public void Resources_equal_Kumas_golden_but_for_the_listed_differences(string inputFile)
    {
        var input = Input(Path.Combine(Root, inputFile));
        var address = (string)input["dataplanes"]![(string)input["proxy"]!]!["networking"]!["address"]!;
        var kuma = Input(Path.Combine(Root, "kuma", (string)input["kuma"]!));
        var expected = (kuma["resources"]?.AsArray() ?? []).Select(r => AsOurs(r!["resource"]!.AsObject(), address))
            .OrderBy(r => r.TypeUrl == TypeUrls.Listener ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal);

        Assert.Equal(expected.Select(Text), SystemResources(input).Select(Text));

        static string Text(XdsResource r) => ConfigDump.ToIndentedString(ConfigDump.ToJson(r));
    }

    /// <summary>
    /// A resource of Kuma's golden file with what we do differently on purpose undone: no mutual-TLS filter chain
    /// and TLS inspector on the admin listener (see AdminResources); a probe listener on the dataplane's address (Kuma's
    /// probe cases have a Dataplane without one, which ours cannot be); kuma-dp's unix sockets in the default work
    /// directory when the node names none (ProxyNode.DefaultWorkDir; Kuma's case gives the bare file name).
    /// </summary>
    private static XdsResource AsOurs(JsonObject resource, string address)
    {
        var type = (string)resource["@type"]!;
        resource.Remove("@type");
        if (type.EndsWith(".Listener", StringComparison.Ordinal))
        {
            var listener = Parser.Parse<Listener>(resource.ToJsonString());
            foreach (var tls in listener.FilterChains.Where(c => c.FilterChainMatch?.TransportProtocol == "tls").ToList()) listener.FilterChains.Remove(tls);
            listener.ListenerFilters.Clear();
            if (listener.Address.SocketAddress.Address.Length == 0) listener.Address.SocketAddress.Address = address;
            return XdsResource.Encode(listener.Name, listener);
        }
        var cluster = Parser.Parse<Cluster>(resource.ToJsonString());
        foreach (var endpoint in cluster.LoadAssignment.Endpoints.SelectMany(e => e.LbEndpoints))
        {
            if (endpoint.Endpoint.Address.Pipe is { } pipe && !pipe.Path.Contains('/', StringComparison.Ordinal))
                pipe.Path = ProxyNode.DefaultWorkDir + "/" + pipe.Path;
        }
        return XdsResource.Encode(cluster.Name, cluster);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Admin_and_probe_resources_match_the_golden_file(string inputFile)
    {
        var inputPath = Path.Combine(Root, inputFile);
        var resources = SystemResources(Input(inputPath));
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
