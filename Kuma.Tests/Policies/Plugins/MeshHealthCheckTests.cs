using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Type.V3;
using Kuma.Policies;
using Kuma.Policies.MeshHealthCheck;
using Kuma.Tests.Infrastructure;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// MeshHealthCheck's branches the golden cases do not show, its proxyless account, and that only clusters with
/// an HTTP check differ between callers (their check carries the caller's tags).
/// </summary>
public sealed class MeshHealthCheckTests
{
    [Fact]
    public void Fail_traffic_on_panic_is_left_out_of_a_cluster_balancing_by_locality_weights()
    {
        var weighted = new Cluster.Types.CommonLbConfig { LocalityWeightedLbConfig = new() };
        var cluster = new Cluster { Name = "svc", CommonLbConfig = weighted.Clone() };

        MeshHealthCheckPlugin.Configure(cluster, "http", Conf("""{"failTrafficOnPanic":true,"http":{}}"""), callerTags: null);

        Assert.Equal(weighted, cluster.CommonLbConfig);
        Assert.Single(cluster.HealthChecks);
    }

    [Fact]
    public void An_http_check_without_caller_tags_has_only_the_configured_headers_and_http2_services_are_checked_over_http2()
    {
        var cluster = new Cluster { Name = "svc" };

        MeshHealthCheckPlugin.Configure(cluster, "http2", Conf("""{"http":{"requestHeadersToAdd":{"set":[{"name":"x-a","value":"1,2"}]}}}"""), callerTags: null);

        var http = Assert.Single(cluster.HealthChecks).HttpHealthCheck;
        Assert.Equal(CodecClientType.Http2, http.CodecClientType);
        Assert.Equal(["x-a:1", "x-a:2"], http.RequestHeadersToAdd.Select(h => $"{h.Header.Key}:{h.Header.Value}"));
        Assert.All(http.RequestHeadersToAdd, h => Assert.Equal(HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd, h.AppendAction));
    }

    [Theory]
    [InlineData("kafka", """{"http":{},"tcp":{},"grpc":{}}""")]
    [InlineData("http", """{"tcp":{},"grpc":{}}""")]
    [InlineData("grpc", """{"grpc":{"disabled":true}}""")]
    public void No_check_when_nothing_fits_the_protocol(string protocol, string conf)
    {
        var cluster = new Cluster { Name = "svc" };

        MeshHealthCheckPlugin.Configure(cluster, protocol, Conf(conf), callerTags: "&a=b&");

        Assert.Equal(new Cluster { Name = "svc" }, cluster);
    }

    [Fact]
    public void Proxyless_clients_get_none_of_it()
    {
        var plugin = new MeshHealthCheckPlugin();
        var target = new OutboundTarget("backend", "grpc");
        var all = JsonNode.Parse("""{"interval":"5s","healthyPanicThreshold":50,"failTrafficOnPanic":true,"tcp":{},"http":{},"grpc":{}}""")!.AsObject();

        Assert.Equal(
            ["default.tcp", "default.http", "default.grpc", "default.healthyPanicThreshold", "default.failTrafficOnPanic"],
            plugin.ProxylessGaps(target, all).Select(g => g.Field));
    }

    [Fact]
    public void Only_clusters_with_an_http_check_depend_on_the_caller()
    {
        var mesh = InProcessMesh.Build(
            [
                ("a", Dataplane("10.0.0.1", "a")),
                ("b", Dataplane("10.0.0.2", "b")),
                ("echo-http-1", Server("10.0.1.1", "echo-http", "http")),
                ("echo-tcp-1", Server("10.0.1.2", "echo-tcp", "tcp")),
            ],
            policies: [("MeshHealthCheck", "checks", """
                {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"path":"/health"},"tcp":{}}}]}
                """)]);
        var a = mesh.ForProxy("a");
        var b = mesh.ForProxy("b");

        Assert.Same(a.Find(TypeUrls.Cluster, "echo-tcp"), b.Find(TypeUrls.Cluster, "echo-tcp"));
        Assert.Equal("&kuma.io/service=a&", TagsHeaderOf(a.Find(TypeUrls.Cluster, "echo-http")!));
        Assert.Equal("&kuma.io/service=b&", TagsHeaderOf(b.Find(TypeUrls.Cluster, "echo-http")!));
    }

    private static string TagsHeaderOf(XdsResource resource) =>
        resource.Payload.Unpack<Cluster>().HealthChecks.Single().HttpHealthCheck.RequestHeadersToAdd.Single(h => h.Header.Key == KumaTagsHeader.Name).Header.Value;

    private static string Dataplane(string address, string service) => $$$"""
        {"networking":{"address":"{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"echo-http"}},{"port":10002,"tags":{"kuma.io/service":"echo-tcp"}}]}}
        """;

    private static string Server(string address, string service, string protocol) => $$$"""
        {"networking":{"address":"{{{address}}}","inbound":[{"port":9000,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"{{{protocol}}}"}}]}}
        """;

    private static MeshHealthCheckConf Conf(string json) => JsonNode.Parse(json)!.Deserialize<MeshHealthCheckConf>(SpecBinder.Options)!;
}
