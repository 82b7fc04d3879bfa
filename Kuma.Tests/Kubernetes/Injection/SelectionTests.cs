using System.Text;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>Which pods the webhook touches, what it leaves behind (Secrets, caBundle), and dry runs.</summary>
public sealed class SelectionTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig());
        _server.Namespaces.Put("injected", labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" });
        _server.Namespaces.Put("plain");
        _server.Namespaces.Put("meshed", labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" },
            annotations: new Dictionary<string, string> { ["kuma.io/mesh"] = "orders" });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Pod(string annotations = "{}", string labels = "{}", string extraContainers = "") => JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","annotations":ANNOTATIONS,"labels":LABELS},
         "spec":{"containers":[{"name":"app","image":"example/web:1"}EXTRA]}}
        """.Replace("ANNOTATIONS", annotations, StringComparison.Ordinal).Replace("LABELS", labels, StringComparison.Ordinal).Replace("EXTRA", extraContainers, StringComparison.Ordinal))!.AsObject();

    public static TheoryData<string, string, string, string, string> LeftAlone() => new()
    {
        { "namespace without injection", "plain", "{}", "{}", "" },
        { "pod disables it (label)", "injected", "{}", """{"kuma.io/sidecar-injection":"disabled"}""", "" },
        { "pod disables it (annotation)", "injected", """{"kuma.io/sidecar-injection":"disabled"}""", "{}", "" },
        { "proxyless pod disables injection", "plain", """{"kuma.io/proxyless":"enabled","kuma.io/sidecar-injection":"disabled"}""", "{}", "" },
        { "already injected", "injected", """{"kuma.io/sidecar-injected":"true"}""", "{}", "" },
        { "already proxyless-injected", "injected", """{"kuma.io/proxyless-injected":"true"}""", "{}", "" },
        { "has a kuma-sidecar container", "injected", "{}", "{}", """,{"name":"kuma-sidecar","image":"kuma/kuma-dp"}""" },
        { "unknown namespace", "nowhere", "{}", "{}", "" },
    };

    [Theory]
    [MemberData(nameof(LeftAlone))]
    public async Task Pod_not_selected_is_allowed_without_a_patch_and_nothing_is_created(string what, string @namespace, string annotations, string labels, string extraContainers)
    {
        var response = await _server.ReviewAsync(AdmissionReviews.Create(Pod(annotations, labels, extraContainers), @namespace));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["uid"] = response["uid"]!.DeepClone(), ["allowed"] = true }, response), $"{what}: {response.ToJsonString()}");
        Assert.Empty(_server.Cluster.Secrets);
        Assert.Empty(_server.Tokens.Meshes);
    }

    [Fact]
    public async Task Update_of_a_pod_is_allowed_without_a_patch()
    {
        var review = AdmissionReviews.Create(Pod(), "injected");
        review["request"]!["operation"] = "UPDATE";
        var response = await _server.ReviewAsync(review);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["uid"] = response["uid"]!.DeepClone(), ["allowed"] = true }, response), response.ToJsonString());
    }

    [Fact]
    public async Task Pod_label_enables_injection_in_a_plain_namespace_and_the_namespace_mesh_applies()
    {
        var injected = await _server.InjectAsync(Pod(labels: """{"kuma.io/sidecar-injection":"enabled"}"""), "plain");
        Assert.Equal(["kuma-sidecar", "app"], Names(injected, "containers"));
        Assert.Equal(["kuma-init"], Names(injected, "initContainers"));
        var meshed = await _server.InjectAsync(Pod(), "meshed");
        Assert.Equal("orders", meshed["metadata"]!["labels"]!["kuma.io/mesh"]!.GetValue<string>());
        Assert.Equal(["default", "orders"], _server.Tokens.Meshes.Order(StringComparer.Ordinal));
        Assert.Equal([("meshed", "kuma-dp-token-orders"), ("plain", "kuma-dp-token-default")], _server.Cluster.Secrets.Keys.Order());
    }

    [Fact]
    public async Task Dry_run_patches_but_creates_no_secret_and_issues_no_token()
    {
        var injected = await _server.InjectAsync(Pod(), "injected", dryRun: true);
        Assert.Equal(["kuma-sidecar", "app"], Names(injected, "containers"));
        Assert.Empty(_server.Cluster.Secrets);
        Assert.Empty(_server.Tokens.Meshes);
    }

    [Fact]
    public async Task One_token_secret_serves_every_pod_of_the_mesh_in_the_namespace()
    {
        await _server.InjectAsync(Pod(), "injected");
        await _server.InjectAsync(Pod(), "injected");
        await _server.InjectAsync(Pod("""{"kuma.io/proxyless":"enabled"}"""), "injected");
        Assert.Equal(["default"], _server.Tokens.Meshes);
        Assert.Equal(["token-for-default-1"], _server.Cluster.Secrets.Values.Select(s => Encoding.UTF8.GetString(s.Data["token"])));
    }

    [Fact]
    public async Task Generated_ca_is_registered_as_the_webhook_configurations_ca_bundle()
    {
        await Eventually.HoldsAsync(() => Task.FromResult(_server.Cluster.CaBundles.ContainsKey("kuma-cluster-agent")), TimeSpan.FromSeconds(10), "caBundle registered");
        Assert.Equal(["kuma-cluster-agent"], _server.Cluster.CaBundles.Keys);
        Assert.Equal(_server.Certificate.GeneratedCaPem, Encoding.UTF8.GetString(_server.Cluster.CaBundles["kuma-cluster-agent"]));
        Assert.Equal("CN=kuma-cluster-agent.kuma-system.svc", _server.Certificate.Serving.Subject);
    }

    private static List<string> Names(JsonObject pod, string field) =>
        [.. (pod["spec"]![field] as JsonArray ?? []).Select(c => c!["name"]!.GetValue<string>())];
}
