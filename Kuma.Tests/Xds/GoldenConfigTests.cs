using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.Xds;

/// <summary>
/// Generated Envoy config, kept as reviewed golden files in Xds/Golden. After a deliberate change,
/// refresh them with: KUMA_UPDATE_GOLDEN=1 dotnet test --filter GoldenConfigTests
/// </summary>
public sealed class GoldenConfigTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(
        HttpConnectionManager.Descriptor, Router.Descriptor, TcpProxy.Descriptor, HttpProtocolOptions.Descriptor)));

    private const string Backends = """
        {"networking":{"address":"10.0.0.1","inbound":[{"port":9001,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"http","version":"v1"}}]}}
        """;
    private const string Backends2 = """
        {"networking":{"address":"10.0.0.2","inbound":[{"port":9001,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"http","version":"v2","kuma.io/zone":"east"}}]}}
        """;
    private const string Database = """
        {"networking":{"address":"10.0.0.9","inbound":[{"port":5432,"tags":{"kuma.io/service":"db","kuma.io/protocol":"tcp"}}]}}
        """;
    private const string Web = """
        {"networking":{"address":"10.0.1.1","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}},{"port":15432,"tags":{"kuma.io/service":"db"}}]}}
        """;
    private const string Worker = """
        {"networking":{"address":"10.0.2.1","inbound":[{"port":7000,"servicePort":7001,"serviceAddress":"127.0.0.1","tags":{"kuma.io/service":"worker"}}],
         "outbound":[{"port":5432,"address":"240.0.0.5","tags":{"kuma.io/service":"db"}}],
         "transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001}}}
        """;
    private const string GrpcBackend = """
        {"networking":{"address":"10.0.3.1","inbound":[{"port":50051,"tags":{"kuma.io/service":"greeter","kuma.io/protocol":"grpc"}}]}}
        """;

    private static MeshContext Mesh() => InProcessMesh.Build(
    [
        ("backend-1", Backends), ("backend-2", Backends2), ("db-1", Database), ("web-1", Web), ("worker-1", Worker), ("greeter-1", GrpcBackend),
    ], generation: 7);

    public static TheoryData<string> Scenarios() => ["sidecar-http-and-tcp", "sidecar-transparent-proxy", "proxyless-grpc"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Generated_config_matches_its_golden_file(string scenario)
    {
        var mesh = Mesh();
        var resources = scenario switch
        {
            "sidecar-http-and-tcp" => Sidecar(mesh.ForProxy("web-1")),
            "sidecar-transparent-proxy" => Sidecar(mesh.ForProxy("worker-1")),
            _ => ByName(mesh.ForProxy("caller"), "greeter"),
        };
        foreach (var r in resources) AssertParsesBack(r);

        var rendered = new JsonObject();
        foreach (var group in resources.GroupBy(r => TypeUrls.ShortName(r.TypeUrl)))
            rendered[group.Key] = new JsonArray([.. group.Select(ConfigDump.ToJson)]);
        var text = ConfigDump.ToIndentedString(rendered) + "\n";

        var path = Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Xds", "Golden", $"{scenario}.json");
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1") File.WriteAllText(path, text);
        Assert.True(File.Exists(path), $"no golden file {path}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), text);
    }

    private static List<XdsResource> Sidecar(ProxyConfig config)
    {
        var clusters = config.Wildcard(TypeUrls.Cluster).ToList();
        return
        [
            .. config.Wildcard(TypeUrls.Listener),
            .. clusters,
            .. clusters.Select(c => config.Find(TypeUrls.ClusterLoadAssignment, c.Name)).OfType<XdsResource>(),
        ];
    }

    private static List<XdsResource> ByName(ProxyConfig config, string service) =>
        [.. new[] { TypeUrls.Listener, TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment }.Select(t => config.Find(t, service)!)];

    /// <summary>Every resource decodes as its typed message, and its JSON form parses back to the same message.</summary>
    private static void AssertParsesBack(XdsResource resource)
    {
        IMessage typed = resource.TypeUrl switch
        {
            TypeUrls.Listener => resource.Payload.Unpack<Listener>(),
            TypeUrls.Cluster => resource.Payload.Unpack<Cluster>(),
            TypeUrls.ClusterLoadAssignment => resource.Payload.Unpack<ClusterLoadAssignment>(),
            TypeUrls.RouteConfiguration => resource.Payload.Unpack<RouteConfiguration>(),
            _ => throw new InvalidOperationException(resource.TypeUrl),
        };
        var json = ConfigDump.ToJson(resource).AsObject();
        json.Remove("@type");
        var reparsed = Parser.Parse(json.ToJsonString(), typed.Descriptor);
        Assert.Equal(typed, reparsed);
    }
}
