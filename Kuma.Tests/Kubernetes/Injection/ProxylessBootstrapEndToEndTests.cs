using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Injection;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// The injected bootstrap, expanded as the kubelet would, drives a real grpc-js xDS client (node/client.js) against an
/// in-process control plane: the token the webhook had issued through the API lets the pod's node id in, and calls
/// reach the mesh's backend.
/// </summary>
public sealed class ProxylessBootstrapEndToEndTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    /// <summary>Mesh-scoped tokens from the hosted API, as the agent's API client issues them.</summary>
    private sealed class ApiTokenIssuer(HttpClient tenant) : IDataplaneTokenIssuer
    {
        public async Task<string> IssueAsync(string mesh, CancellationToken cancellationToken)
        {
            using var response = await tenant.PostAsJsonAsync("/tokens/dataplane", new { mesh, validFor = "1h" }, cancellationToken);
            var token = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(response.IsSuccessStatusCode, token);
            return token;
        }
    }

    [Fact]
    public async Task Grpc_js_client_with_the_injected_bootstrap_reaches_the_backend()
    {
        var cp = fixture.ControlPlane;
        using var tenant = cp.NewClient(await cp.CreateTenantAsync("k8s-proxyless"));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1", "{}");
        var port = FreePort.Next();
        await using var backend = await GrpcCalls.StartBackendAsync("b1", port);
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/dataplanes/b1", ProxylessWorkloads.Dataplane("m1", "b1", "backend", port));

        var options = InjectionTestOptions.KumaTestConfig() with { DpServerUrl = new Uri(fixture.DpAddress), ControlPlaneCaPem = null, Zone = "default" };
        await using var webhook = await WebhookServer.StartAsync(options, new ApiTokenIssuer(tenant));
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"caller-","annotations":{"kuma.io/proxyless":"enabled","kuma.io/mesh":"m1"}},
             "spec":{"containers":[{"name":"caller","image":"example/caller:1"}]}}
            """)!.AsObject();
        var injected = await webhook.InjectAsync(pod, "shop");

        var token = Encoding.UTF8.GetString(webhook.Cluster.Secrets[("shop", "kuma-dp-token-m1")].Data["token"]);
        var env = KubeletEnv.Expand(injected["spec"]!["containers"]![0]!["env"]!.AsArray(), valueFrom =>
            valueFrom["fieldRef"]?["fieldPath"]?.GetValue<string>() switch
            {
                "metadata.name" => "caller-x2x4q",
                "metadata.namespace" => "shop",
                _ when valueFrom["secretKeyRef"]?["name"]?.GetValue<string>() == "kuma-dp-token-m1" => token,
                _ => throw new InvalidOperationException($"unexpected env source {valueFrom.ToJsonString()}"),
            });
        Assert.Equal("m1.caller-x2x4q.shop", JsonNode.Parse(env["GRPC_XDS_BOOTSTRAP_CONFIG"])!["node"]!["id"]!.GetValue<string>());

        await using var caller = NodeProcess.Start("client.js", ["backend", "20"],
            new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP_CONFIG"] = env["GRPC_XDS_BOOTSTRAP_CONFIG"] });
        Assert.Equal(["b1", "b1", "b1"], await GrpcCalls.AnswersAsync(caller, 3));
    }
}
