using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Policies;
using Kuma.Policies.MeshTrace;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// MeshTrace beyond its golden cases: which proxies share traced listeners (the tracer names the proxy's service),
/// that untraced proxies keep sharing theirs, the collector cluster per proxy, and the proxyless account.
/// </summary>
public sealed class MeshTraceTests
{
    private static readonly string[] ProxyNames = ["web-1", "web-2", "api-1"];

    private const string OpenTelemetryEverywhere = """
        {"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"OpenTelemetry","openTelemetry":{"endpoint":"otel:4317"}}]}}
        """;

    [Fact]
    public void Proxies_of_one_service_share_traced_listeners_and_another_service_gets_its_own_tracer_name()
    {
        var mesh = Mesh(policies: [("MeshTrace", "otel", OpenTelemetryEverywhere)]);

        var web1 = OutboundListener(mesh, "web-1");
        Assert.Same(web1, OutboundListener(mesh, "web-2"));
        Assert.Equal("web", TracerOf(web1).Unpack<OpenTelemetryConfig>().ServiceName);
        Assert.Equal("api", TracerOf(OutboundListener(mesh, "api-1")).Unpack<OpenTelemetryConfig>().ServiceName);
    }

    [Fact]
    public void Spans_are_tagged_with_the_zone_label_of_the_Dataplane()
    {
        var mesh = InProcessMesh.Build([("web-1", Client("10.0.0.1", "web")), ("echo-1", Echo)],
            policies: [("MeshTrace", "otel", OpenTelemetryEverywhere)],
            labels: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["web-1"] = new Dictionary<string, string> { ["kuma.io/zone"] = "zone-a" } });

        var tags = Hcm(OutboundListener(mesh, "web-1")).Tracing.CustomTags.Select(t => $"{t.Tag}={t.Literal.Value}");
        Assert.Equal(["kuma.mesh=m1", "kuma.zone=zone-a"], tags);
    }

    [Fact]
    public void Without_a_MeshTrace_listeners_stay_shared_between_services_and_no_collector_is_added()
    {
        var mesh = Mesh(policies: []);

        var web = OutboundListener(mesh, "web-1");
        Assert.Same(web, OutboundListener(mesh, "api-1"));
        Assert.Null(Hcm(web).Tracing);
        Assert.DoesNotContain(mesh.ForProxy("web-1").Wildcard(TypeUrls.Cluster), c => c.Name.StartsWith("meshtrace:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_MeshTrace_for_one_service_traces_only_its_proxies_and_adds_the_collector_only_to_them()
    {
        var mesh = Mesh(policies: [("MeshTrace", "web-only", """
            {"targetRef":{"kind":"MeshService","name":"web"},"default":{"backends":[{"type":"Datadog","datadog":{"url":"http://dd:8126"}}]}}
            """)]);

        Assert.NotNull(Hcm(OutboundListener(mesh, "web-1")).Tracing);
        Assert.Null(Hcm(OutboundListener(mesh, "api-1")).Tracing);
        var collector = mesh.ForProxy("web-1").Find(TypeUrls.Cluster, "meshtrace:datadog")!.Payload.Unpack<Cluster>();
        Assert.Equal("dd", collector.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        Assert.Null(mesh.ForProxy("api-1").Find(TypeUrls.Cluster, "meshtrace:datadog"));
    }

    [Fact]
    public void An_openTelemetry_backendRef_traces_without_a_tracer_or_collector_as_Kuma_does_when_it_cannot_resolve_one()
    {
        var mesh = Mesh(policies: [("MeshTrace", "ref", """
            {"targetRef":{"kind":"Mesh"},"default":{"sampling":{"overall":5},"backends":[{"type":"OpenTelemetry","openTelemetry":{"backendRef":{"kind":"MeshOpenTelemetryBackend","labels":{"kuma.io/display-name":"otel"}}}}]}}
            """)]);

        var tracing = Hcm(OutboundListener(mesh, "web-1")).Tracing;
        Assert.Equal(5, tracing.OverallSampling.Value);
        Assert.Null(tracing.Provider);
        Assert.Null(mesh.ForProxy("web-1").Find(TypeUrls.Cluster, "meshtrace:opentelemetry"));
    }

    [Fact]
    public void Adding_changing_and_removing_a_MeshTrace_incrementally_gives_what_a_build_from_scratch_gives()
    {
        var dataplanes = ProxyNames.Select((n, i) => (n, Client($"10.0.0.{i + 1}", n[..3]))).Append(("echo-1", Echo)).ToList();
        (string, string, string)[][] steps =
        [
            [],
            [("MeshTrace", "t", OpenTelemetryEverywhere)],
            [("MeshTrace", "t", OpenTelemetryEverywhere.Replace("otel:4317", "collector:4317", StringComparison.Ordinal))],
            [("MeshTrace", "t", OpenTelemetryEverywhere), ("MeshTrace", "u", """{"targetRef":{"kind":"MeshService","name":"api"},"default":{"backends":[]}}""")],
            [],
        ];
        MeshContext? incremental = null;
        for (var generation = 1; generation <= steps.Length; generation++)
        {
            var snapshot = InProcessMesh.Snapshot(dataplanes, generation: generation, policies: steps[generation - 1]);
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in dataplanes)
            {
                Assert.Equal(scratch.ForProxy(name).Wildcard(TypeUrls.Listener).Version, incremental.ForProxy(name).Wildcard(TypeUrls.Listener).Version);
                Assert.Equal(scratch.ForProxy(name).Wildcard(TypeUrls.Cluster).Version, incremental.ForProxy(name).Wildcard(TypeUrls.Cluster).Version);
            }
        }
        Assert.Null(Hcm(OutboundListener(incremental!, "web-1")).Tracing);
    }

    [Fact]
    public void Proxyless_clients_are_told_that_gRPC_does_not_trace_from_xDS_unless_nothing_is_traced()
    {
        var plugin = new MeshTracePlugin();
        var target = new OutboundTarget("backend", "grpc");

        Assert.Equal(["default"], plugin.ProxylessGaps(target, JsonNode.Parse("""{"backends":[{"type":"Zipkin","zipkin":{"url":"http://z:9411/"}}]}""")!.AsObject()).Select(g => g.Field));
        Assert.Empty(plugin.ProxylessGaps(target, JsonNode.Parse("""{"backends":[]}""")!.AsObject()));
    }

    [Theory]
    [InlineData("http://intake.datadoghq.eu:8126", "http", "8126", "", "")]
    [InlineData("sql://intake:1/p?q=1", "sql", "1", "/p", "q=1")]
    [InlineData("intake:8126", "intake", "", "", "")]
    public void Request_uris_split_as_Go_splits_them(string raw, string scheme, string port, string path, string query)
    {
        var uri = RequestUri.Parse(raw)!;
        Assert.Equal((scheme, port, path, query), (uri.Scheme, uri.Port, uri.Path, uri.Query));
    }

    [Theory]
    [InlineData("http://jaeger:9411/api/v2/spans", true)]
    [InlineData("jaeger-collector:9411", true)]
    [InlineData("not_valid_url", false)]
    [InlineData("http://has space:9411", false)]
    [InlineData("http://host:123456", false)]
    public void Zipkin_urls_are_judged_as_Kuma_judges_them(string url, bool valid) => Assert.Equal(valid, LooseUrl.IsUrl(url));

    private static MeshContext Mesh(IEnumerable<(string, string, string)> policies) => InProcessMesh.Build(
        [
            ("web-1", Client("10.0.0.1", "web")),
            ("web-2", Client("10.0.0.2", "web")),
            ("api-1", Client("10.0.0.3", "api")),
            ("echo-1", Echo),
        ],
        policies: policies);

    private const string Echo = """{"networking":{"address":"10.0.1.1","inbound":[{"port":9000,"tags":{"kuma.io/service":"echo","kuma.io/protocol":"http"}}]}}""";

    private static string Client(string address, string service) => $$$"""
        {"networking":{"address":"{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"echo"}}]}}
        """;

    private static XdsResource OutboundListener(MeshContext mesh, string proxy) =>
        mesh.ForProxy(proxy).Wildcard(TypeUrls.Listener).Single(l => l.Name.StartsWith("outbound:", StringComparison.Ordinal));

    private static HttpConnectionManager Hcm(XdsResource listener) =>
        listener.Payload.Unpack<Listener>().FilterChains[0].Filters.Single(f => f.Name == EnvoyBuild.HttpConnectionManagerFilter).TypedConfig.Unpack<HttpConnectionManager>();

    private static Google.Protobuf.WellKnownTypes.Any TracerOf(XdsResource listener) => Hcm(listener).Tracing.Provider.TypedConfig;
}
