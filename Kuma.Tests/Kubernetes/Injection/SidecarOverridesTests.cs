using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// Pod annotations Kuma lets a pod set, beyond Kuma's ported cases: transparent-proxy excludes of ports, UIDs and IPs,
/// init-first, the probe proxy switched off (virtual probes), named probe ports, drain time and concurrency.
/// </summary>
public sealed class SidecarOverridesTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig());
        _server.Namespaces.Put("shop", labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Pod(string annotations) => JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": { "name": "web-0", "namespace": "shop", "annotations": {{annotations}} },
          "spec": {
            "initContainers": [ { "name": "migrate", "image": "example/migrate:1" } ],
            "containers": [ {
              "name": "web", "image": "example/web:1",
              "ports": [ { "name": "http", "containerPort": 8080 }, { "name": "grpc", "containerPort": 9090 } ],
              "readinessProbe": { "httpGet": { "path": "healthz", "port": "http", "httpHeaders": [ { "name": "Host", "value": "web.local" } ] }, "timeoutSeconds": 4 },
              "livenessProbe": { "tcpSocket": { "port": 8080 } },
              "startupProbe": { "grpc": { "port": 9090, "service": "health" }, "timeoutSeconds": 2 }
            }, {
              "name": "sidecar-app", "image": "example/helper:1"
            } ]
          }
        }
        """)!.AsObject();

    [Fact]
    public async Task Transparent_proxy_excludes_and_overrides_reach_kuma_init_and_the_sidecar()
    {
        var injected = await _server.InjectAsync(Pod("""
            {
              "traffic.kuma.io/exclude-inbound-ports": "7000,7001",
              "traffic.kuma.io/exclude-outbound-ports": "5432",
              "traffic.kuma.io/exclude-outbound-ips": "10.0.0.1, 10.0.0.0/8",
              "traffic.kuma.io/exclude-inbound-ips": "192.168.0.0/16",
              "traffic.kuma.io/exclude-outbound-ports-for-uids": "tcp:22:1000;udp:53:1001",
              "traffic.kuma.io/drop-invalid-packets": "true",
              "kuma.io/transparent-proxying-ip-family-mode": "ipv4",
              "kuma.io/init-first": "true",
              "kuma.io/sidecar-drain-time": "1m5s",
              "kuma.io/sidecar-proxy-concurrency": "4",
              "kuma.io/envoy-admin-port": "9902"
            }
            """), "shop");

        Assert.Equal(
            ["--ip-family-mode=ipv4", "--exclude-outbound-ports=5432", "--exclude-outbound-ips=10.0.0.1,10.0.0.0/8",
             "--exclude-outbound-ports-for-uids=tcp:22:1000", "--exclude-outbound-ports-for-uids=udp:53:1001",
             "--exclude-inbound-ports=7000,7001,9000", "--exclude-inbound-ips=192.168.0.0/16", "--drop-invalid-packets", "--verbose"],
            injected["spec"]!["initContainers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["kuma-init", "migrate"], injected["spec"]!["initContainers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        var sidecar = injected["spec"]!["containers"]![0]!;
        Assert.Equal(["run", "--log-level=info", "--concurrency=4"], sidecar["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(9902, sidecar["readinessProbe"]!["httpGet"]!["port"]!.GetValue<int>());
        PodDocuments.AssertGolden(PodDocuments.Normalized(injected), "sidecar-overrides.golden.json");
    }

    [Fact]
    public async Task Application_probe_proxy_rewrites_http_tcp_and_grpc_probes_with_kumas_headers()
    {
        var web = (await _server.InjectAsync(Pod("{}"), "shop"))["spec"]!["containers"]![1]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"httpGet":{"port":9000,"path":"/8080/healthz","httpHeaders":[{"name":"X-Kuma-Probes-Host","value":"web.local"},{"name":"X-Kuma-Probes-Timeout","value":"4"}]},"timeoutSeconds":4}
            """), web["readinessProbe"]), web["readinessProbe"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"httpGet":{"port":9000,"path":"/tcp/8080"}}"""), web["livenessProbe"]), web["livenessProbe"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"httpGet":{"port":9000,"path":"/grpc/9090","httpHeaders":[{"name":"X-Kuma-Probes-Timeout","value":"2"},{"name":"X-Kuma-Probes-GRPC-Service","value":"health"}]},"timeoutSeconds":2}
            """), web["startupProbe"]), web["startupProbe"]!.ToJsonString());
    }

    [Fact]
    public async Task Probe_proxy_switched_off_falls_back_to_virtual_probes_for_http_probes_only()
    {
        var injected = await _server.InjectAsync(Pod("""{"kuma.io/application-probe-proxy-port":"0","kuma.io/virtual-probes-port":"9100"}"""), "shop");
        var annotations = injected["metadata"]!["annotations"]!;
        Assert.Equal("enabled", annotations["kuma.io/virtual-probes"]!.GetValue<string>());
        Assert.Equal("9100", annotations["kuma.io/virtual-probes-port"]!.GetValue<string>());
        var web = injected["spec"]!["containers"]![1]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"httpGet":{"path":"/8080/healthz","port":9100,"httpHeaders":[{"name":"Host","value":"web.local"}]},"timeoutSeconds":4}
            """), web["readinessProbe"]), web["readinessProbe"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"tcpSocket":{"port":8080}}"""), web["livenessProbe"]), web["livenessProbe"]!.ToJsonString());
        Assert.Equal(["--verbose"], injected["spec"]!["initContainers"]![1]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));
    }
}
