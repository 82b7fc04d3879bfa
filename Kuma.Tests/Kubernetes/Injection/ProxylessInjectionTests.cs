using System.Text;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// Our addition: a pod annotated <c>kuma.io/proxyless: enabled</c> gets no sidecar and no init container, only the gRPC
/// xDS bootstrap. The bootstrap is checked as a workload would read it: after the kubelet's env expansion.
/// </summary>
public sealed class ProxylessInjectionTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject ClientPod() => JsonNode.Parse("""
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": {
            "generateName": "client-7d9f8b6c5-",
            "namespace": "shop",
            "labels": { "app": "client" },
            "annotations": { "kuma.io/proxyless": "enabled", "kuma.io/mesh": "payments" }
          },
          "spec": {
            "volumes": [ { "name": "config", "configMap": { "name": "client-config" } } ],
            "containers": [
              {
                "name": "client",
                "image": "example/grpc-client:1.0",
                "env": [ { "name": "TARGET", "value": "xds:///backend" }, { "name": "POD_NAME", "value": "shadowed" } ],
                "volumeMounts": [ { "name": "config", "mountPath": "/etc/client" } ]
              },
              { "name": "metrics", "image": "example/exporter:1.0" }
            ]
          }
        }
        """)!.AsObject();

    [Fact]
    public async Task Proxyless_pod_gets_the_bootstrap_env_in_every_container_and_nothing_else()
    {
        var injected = await _server.InjectAsync(ClientPod(), "shop");

        PodDocuments.AssertGolden(PodDocuments.Normalized(injected), "proxyless.golden.json");
        Assert.Equal(["client", "metrics"], injected["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Null(injected["spec"]!["initContainers"]);
        Assert.Equal("true", injected["metadata"]!["annotations"]!["kuma.io/proxyless-injected"]!.GetValue<string>());
        Assert.Equal("payments", injected["metadata"]!["labels"]!["kuma.io/mesh"]!.GetValue<string>());
    }

    [Fact]
    public async Task After_the_kubelets_expansion_the_bootstrap_names_the_pod_its_token_and_the_dp_server()
    {
        var injected = await _server.InjectAsync(ClientPod(), "shop");
        var secret = _server.Cluster.Secrets[("shop", "kuma-dp-token-payments")];
        var token = Encoding.UTF8.GetString(secret.Data["token"]);
        Assert.Equal("token-for-payments-1", token);
        Assert.Equal(InjectionTestOptions.CaPem, Encoding.UTF8.GetString(secret.Data["ca.crt"]));
        Assert.Equal(new Dictionary<string, string> { ["kuma.io/managed-by"] = "cluster-agent", ["kuma.io/mesh"] = "payments", ["kuma.io/zone"] = "zone-east" }, secret.Labels);

        foreach (var container in injected["spec"]!["containers"]!.AsArray())
        {
            var env = KubeletEnv.Expand(container!["env"]!.AsArray(), valueFrom => valueFrom switch
            {
                _ when valueFrom["fieldRef"]?["fieldPath"]?.GetValue<string>() == "metadata.name" => "client-7d9f8b6c5-x2x4q",
                _ when valueFrom["fieldRef"]?["fieldPath"]?.GetValue<string>() == "metadata.namespace" => "shop",
                _ when valueFrom["secretKeyRef"]?["name"]?.GetValue<string>() == "kuma-dp-token-payments" && valueFrom["secretKeyRef"]?["key"]?.GetValue<string>() == "token" => token,
                _ => throw new InvalidOperationException($"unexpected env source {valueFrom.ToJsonString()}"),
            });
            var bootstrap = JsonNode.Parse(env["GRPC_XDS_BOOTSTRAP_CONFIG"]);
            var expected = JsonNode.Parse("""
                {
                  "xds_servers": [ {
                    "server_uri": "cp.example.com:5678",
                    "channel_creds": [ { "type": "tls", "config": { "ca_certificate_file": "/var/run/kuma.io/control-plane-ca/ca.crt" } } ],
                    "server_features": [ "xds_v3" ]
                  } ],
                  "node": {
                    "id": "payments.client-7d9f8b6c5-x2x4q.shop",
                    "metadata": { "dataplane.token": "token-for-payments-1" },
                    "locality": { "zone": "zone-east" }
                  },
                  "server_listener_resource_name_template": "kuma/grpc/server?listening_address=%s"
                }
                """);
            Assert.True(JsonNode.DeepEquals(expected, bootstrap), bootstrap!.ToJsonString());
        }
    }

    [Fact]
    public async Task Plaintext_dp_server_gives_insecure_channel_creds_and_no_ca_volume()
    {
        await using var server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig() with { DpServerUrl = new Uri("http://cp.example.com:5678") });
        var injected = await server.InjectAsync(ClientPod(), "shop");
        Assert.Equal(["config"], injected["spec"]!["volumes"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));
        var env = injected["spec"]!["containers"]![1]!["env"]!.AsArray();
        Assert.Equal(["POD_NAME", "POD_NAMESPACE", "KUMA_DP_TOKEN", "GRPC_XDS_BOOTSTRAP_CONFIG"], env.Select(e => e!["name"]!.GetValue<string>()));
        var bootstrap = JsonNode.Parse(env[3]!["value"]!.GetValue<string>())!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[ { "type": "insecure" } ]"""), bootstrap["xds_servers"]![0]!["channel_creds"]), bootstrap.ToJsonString());
    }
}
