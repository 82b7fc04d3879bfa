using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// Kuma's own injector cases (testdata/kuma, see its README): the input pod goes through our webhook over HTTPS as an
/// AdmissionReview, our patch is applied, and the whole result is compared with Kuma's golden pod. The only allowed
/// differences are listed and asserted, so any other drift fails.
/// </summary>
public sealed class KumaInjectorCaseTests : IAsyncLifetime
{
    /// <summary>
    /// Kuma's golden env (sorted): 0 INSTANCE_IP, 1 KUMA_APPLICATION_PROBE_PROXY_PORT, 2 KUMA_CONTROL_PLANE_CA_CERT,
    /// 3 KUMA_CONTROL_PLANE_URL, 4 DRAIN_TIME, 5 MESH, 6 OTEL_PIPE_ENABLED, 7 KUMA_DATAPLANE_RUNTIME_TOKEN_PATH, 8 KUMA_DNS_ENABLED,
    /// 9 POD_NAME, 10 POD_NAMESPACE. Ours differs in: the CA and URL (the hosted control plane's, not an in-cluster one);
    /// the token (a mesh token from the agent's Secret in KUMA_DATAPLANE_RUNTIME_TOKEN instead of the service account
    /// token's path, hence no service account token mount in the sidecar); and KUMA_DATAPLANE_NAME appended, since the
    /// hosted control plane cannot look the pod up and needs the name the agent registered.
    /// </summary>
    private static readonly List<string> AllowedDifferences =
    [
        "added /spec/containers/0/env/11",
        "added /spec/containers/0/env/7/valueFrom",
        "changed /spec/containers/0/env/2/value",
        "changed /spec/containers/0/env/3/value",
        "changed /spec/containers/0/env/7/name",
        "removed /spec/containers/0/env/7/value",
        "removed /spec/containers/0/volumeMounts/1",
    ];

    private WebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig());
        _server.Namespaces.Put("default", labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("01")] // plain pod
    [InlineData("02")] // existing init containers and annotations
    [InlineData("13")] // application probe proxy rewrites the probes
    [InlineData("16")] // exclude-inbound/outbound ports
    public async Task Kuma_case_injects_Kumas_golden_pod_but_for_the_listed_differences(string number)
    {
        var injected = PodDocuments.Normalized(await _server.InjectAsync(PodDocuments.FromYamlFile("kuma", $"inject.{number}.input.yaml")));
        var golden = PodDocuments.FromYamlFile("kuma", $"inject.{number}.golden.yaml");
        Assert.Equal(AllowedDifferences, JsonDifferences.Between(golden, injected));
        AssertOurSidecarEnv(injected, "default");
    }

    [Fact]
    public async Task Kuma_case_12_mesh_annotation_on_the_pod_wins_over_the_namespace()
    {
        _server.Namespaces.Put("default",
            labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" },
            annotations: new Dictionary<string, string> { ["kuma.io/mesh"] = "mesh-name-from-ns" });
        var injected = PodDocuments.Normalized(await _server.InjectAsync(PodDocuments.FromYamlFile("kuma", "inject.12.input.yaml")));
        Assert.Equal(AllowedDifferences, JsonDifferences.Between(PodDocuments.FromYamlFile("kuma", "inject.12.golden.yaml"), injected));
        AssertOurSidecarEnv(injected, "mesh-name-from-pod");
        Assert.Equal(["mesh-name-from-pod"], _server.Tokens.Meshes);
    }

    private void AssertOurSidecarEnv(JsonObject pod, string mesh)
    {
        var env = pod["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal(InjectionTestOptions.CaPem, env[2]!["value"]!.GetValue<string>());
        Assert.Equal("https://cp.example.com:5678", env[3]!["value"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"name":"KUMA_DATAPLANE_RUNTIME_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"kuma-dp-token-MESH"}}}""".Replace("MESH", mesh, StringComparison.Ordinal)), env[7]),
            env[7]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"KUMA_DATAPLANE_NAME","value":"$(POD_NAME).$(POD_NAMESPACE)"}"""), env[11]), env[11]!.ToJsonString());
        var secret = _server.Cluster.Secrets[("default", $"kuma-dp-token-{mesh}")];
        Assert.Equal(["ca.crt", "token"], secret.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"token-for-{mesh}-1", System.Text.Encoding.UTF8.GetString(secret.Data["token"]));
    }
}
