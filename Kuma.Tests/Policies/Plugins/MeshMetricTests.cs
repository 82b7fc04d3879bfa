using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Policies.MeshMetric;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// The parts of MeshMetric the goldens do not pin down one by one: Go's duration and host:port rules that kuma-dp's
/// document and Kuma's validation follow, what a proxyless client is told, and that the labels kuma-dp puts on
/// metrics follow the Dataplane's labels when only those change.
/// </summary>
public sealed class MeshMetricTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(5_000L, "500µs")]
    [InlineData(5_000_000L, "500ms")]
    [InlineData(15_000_000L, "1.5s")]
    [InlineData(600_000_000L, "1m0s")]
    [InlineData(36_000_000_000L, "1h0m0s")]
    [InlineData(74_645_000_000L, "2h4m24.5s")]
    public void Durations_read_as_go_prints_them(long ticks, string expected) =>
        Assert.Equal(expected, GoJson.Duration(TimeSpan.FromTicks(ticks)));

    [Theory]
    [InlineData("collector:4317", true)]
    [InlineData("collector:", true)] // Go's SplitHostPort accepts an empty port
    [InlineData("[::1]:4317", true)]
    [InlineData("collector", false)]
    [InlineData("::1", false)]
    [InlineData("a:b:c", false)]
    [InlineData("[::1]", false)]
    public void Endpoints_split_as_go_splits_them(string endpoint, bool valid) =>
        Assert.Equal(valid, OpenTelemetryEndpoint.IsHostPort(endpoint));

    [Fact]
    public void Collector_names_and_addresses_are_kumas()
    {
        Assert.Equal("otel-collector.observability.svc-4317", OpenTelemetryEndpoint.BackendName("otel-collector.observability.svc:4317"));
        Assert.Equal(("collector", 4317u), OpenTelemetryEndpoint.Parse("collector:"));
        Assert.Equal(("::1", 4318u), OpenTelemetryEndpoint.Parse("[::1]:4318"));
    }

    [Fact]
    public void A_proxyless_client_is_told_that_no_backend_reaches_it()
    {
        var plugin = new MeshMetricPlugin();
        var target = new OutboundTarget("backend", "grpc");
        var gaps = plugin.ProxylessGaps(target, JsonNode.Parse("""{"backends":[{"type":"Prometheus","prometheus":{"port":5670}}]}""")!.AsObject()).ToList();
        Assert.Equal(["default.backends"], gaps.Select(g => g.Field));
        Assert.Empty(plugin.ProxylessGaps(target, JsonNode.Parse("""{"sidecar":{"includeUnused":true}}""")!.AsObject()));
    }

    [Fact]
    public void A_change_of_the_dataplanes_labels_alone_reaches_the_labels_kuma_dp_adds()
    {
        const string dataplane = """{"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"backend"}}]}}""";
        const string metrics = """{"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"Prometheus","prometheus":{"port":5670}}]}}""";
        MeshSnapshot Snapshot(long generation, string zone) => InProcessMesh.Snapshot([("dp-1", dataplane)], generation: generation,
            policies: [("MeshMetric", "metrics", metrics)],
            labels: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["dp-1"] = new Dictionary<string, string> { ["kuma.io/zone"] = zone } });
        string Document(MeshContext mesh) =>
            ConfigDump.ToJson(mesh.ForProxy("dp-1").Wildcard(TypeUrls.Listener).Single(l => l.Name == DynamicConfig.ListenerName)).ToJsonString();

        var first = MeshContext.Build(Snapshot(1, "zone-1"));
        Assert.Contains("zone-1", Document(first), StringComparison.Ordinal);
        var second = MeshContext.Build(Snapshot(2, "zone-2"), first);

        Assert.Contains("zone-2", Document(second), StringComparison.Ordinal);
        Assert.Equal(Document(MeshContext.Build(Snapshot(2, "zone-2"))), Document(second));
    }

    [Fact]
    public void ProvidedTLS_serves_the_certificate_the_proxys_own_node_names_and_each_node_keeps_its_config_across_generations()
    {
        const string dataplane = """{"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"backend"}}]}}""";
        const string metrics = """{"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"Prometheus","prometheus":{"port":5670,"tls":{"mode":"ProvidedTLS"}}}]}}""";
        MeshSnapshot Snapshot(long generation, string extra) => InProcessMesh.Snapshot(
            [("dp-1", dataplane), ("other", extra)], generation: generation, policies: [("MeshMetric", "metrics", metrics)]);
        var node = ProxyNode.Of(Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson("""{"metricsCertPath":"/certs/tls.crt","metricsKeyPath":"/certs/tls.key","workdir":"/run/kuma-dp-1/"}"""));
        List<(string? Match, string? Cert, string? Key)> Chains(MeshContext mesh, ProxyNode? from) =>
        [
            .. mesh.ForProxy("dp-1", from).Wildcard(TypeUrls.Listener).Single(l => l.Name == "_kuma:metrics:prometheus:default-backend")
                .Payload.Unpack<Envoy.Config.Listener.V3.Listener>().FilterChains
                .Select(c => c.TransportSocket?.TypedConfig.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext>().CommonTlsContext.TlsCertificates[0] is { } cert
                    ? (c.FilterChainMatch?.TransportProtocol, cert.CertificateChain.Filename, cert.PrivateKey.Filename)
                    : (c.FilterChainMatch?.TransportProtocol, (string?)null, (string?)null)),
        ];

        var first = MeshContext.Build(Snapshot(1, """{"networking":{"address":"10.0.0.2","inbound":[{"port":80,"tags":{"kuma.io/service":"a"}}]}}"""));
        Assert.Equal([(null, null, null)], Chains(first, null));
        Assert.Equal([("tls", null, null), (null, "/certs/tls.crt", "/certs/tls.key")], Chains(first, node));
        // kuma-dp's sockets are in the work directory its node reports, /tmp when it reports none.
        string Hijacker(ProxyNode? from) => first.ForProxy("dp-1", from).Find(TypeUrls.Cluster, "_kuma:metrics:hijacker")!
            .Payload.Unpack<Envoy.Config.Cluster.V3.Cluster>().LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.Pipe.Path;
        Assert.Equal("/run/kuma-dp-1/kuma-mh-dp-1-m1.sock", Hijacker(node));
        Assert.Equal("/tmp/kuma-mh-dp-1-m1.sock", Hijacker(null));
        // Half a pair is no certificate: plain, as Kuma falls back.
        Assert.Equal([(null, null, null)], Chains(first, new ProxyNode("/certs/tls.crt", "")));

        // Another dataplane changes; each node's config is carried into the next generation as it was.
        var withNode = first.ForProxy("dp-1", node);
        var second = MeshContext.Build(Snapshot(2, """{"networking":{"address":"10.0.0.2","inbound":[{"port":81,"tags":{"kuma.io/service":"a"}}]}}"""), first);
        Assert.Same(withNode.Wildcard(TypeUrls.Listener), second.ForProxy("dp-1", node).Wildcard(TypeUrls.Listener));
        Assert.Equal([(null, null, null)], Chains(second, null));
        Assert.Equal([("tls", null, null), (null, "/certs/tls.crt", "/certs/tls.key")], Chains(second, node));
    }
}
