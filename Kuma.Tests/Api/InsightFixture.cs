using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Api;

/// <summary>
/// Kuma's dataplane overview test data (pkg/api-server/dataplane_overview_endpoints_test.go), with kuma.io/service for
/// its "service" tag: tenant <c>ins-a</c>, mesh <c>mesh1</c> (no default policies; one MeshTimeout, one MeshRetry, one
/// Secret), two gateways and dp-1 connected over ADS, dp-no-insights never connected. Tenant <c>ins-b</c> is the stranger.
/// </summary>
public sealed class InsightFixture : IAsyncLifetime
{
    private readonly List<AdsClient> _proxies = [];

    public ControlPlane Cp { get; private set; } = null!;
    public HttpClient Tenant { get; private set; } = null!;
    public HttpClient Stranger { get; private set; } = null!;
    public string TenantToken { get; private set; } = "";

    public static readonly string[] Connected = ["dp-1", "gateway-builtin", "gateway-delegated"];

    public async Task InitializeAsync()
    {
        Cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_DP_SERVER_TLS_ENABLED"] = "false" });
        TenantToken = await Cp.CreateTenantAsync("ins-a");
        Tenant = Cp.NewClient(TenantToken);
        Stranger = Cp.NewClient(await Cp.CreateTenantAsync("ins-b"));

        await PutAsync("/meshes/mesh1", """{"type":"Mesh","name":"mesh1","skipCreatingInitialPolicies":["*"]}""");
        await PutAsync("/meshes/mesh1/dataplanes/gateway-delegated", """
            {"type":"Dataplane","mesh":"mesh1","name":"gateway-delegated","networking":{"address":"127.0.0.1","gateway":{"tags":{"kuma.io/service":"gateway"}}}}
            """);
        await PutAsync("/meshes/mesh1/dataplanes/gateway-builtin", """
            {"type":"Dataplane","mesh":"mesh1","name":"gateway-builtin","networking":{"address":"127.0.0.1","gateway":{"type":"BUILTIN","tags":{"kuma.io/service":"edge"}}}}
            """);
        foreach (var name in new[] { "dp-1", "dp-no-insights" })
        {
            await PutAsync($"/meshes/mesh1/dataplanes/{name}", Inbound1234(name));
        }
        await PutAsync("/meshes/mesh1/meshtimeouts/mt-1", """
            {"type":"MeshTimeout","mesh":"mesh1","name":"mt-1","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"20s"}}]}}
            """);
        await PutAsync("/meshes/mesh1/meshretries/mr-1", """
            {"type":"MeshRetry","mesh":"mesh1","name":"mr-1","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"tcp":{"maxConnectAttempt":2}}}]}}
            """);
        await PutAsync("/meshes/mesh1/secrets/s1", """{"type":"Secret","mesh":"mesh1","name":"s1","data":"c2VjcmV0"}""");

        foreach (var name in Connected)
        {
            var proxy = new AdsClient($"http://127.0.0.1:{Cp.DpPort}", $"mesh1.{name}", await ControlPlane.DataplaneTokenAsync(Tenant, "mesh1", name));
            _proxies.Add(proxy);
            await proxy.SendAsync(TypeUrls.Listener);
        }
        foreach (var name in Connected)
        {
            await Eventually.HoldsAsync(async () =>
                JsonNode.Parse(await Tenant.GetStringAsync($"/meshes/mesh1/dataplanes/{name}/_overview"))!["dataplaneInsight"]?["connected"]?.GetValue<bool>() == true,
                TimeSpan.FromSeconds(30), $"{name} connected");
        }
    }

    public static string Inbound1234(string name, string mesh = "mesh1") => $$$"""
        {"type":"Dataplane","mesh":"{{{mesh}}}","name":"{{{name}}}","networking":{"address":"127.0.0.1",
         "inbound":[{"port":1234,"tags":{"kuma.io/service":"backend","version":"v1","tagcolumn":"tag:v"}}]}}
        """;

    public async Task PutAsync(string path, string body)
    {
        var response = await Tenant.PutAsync(path, ControlPlane.Json(body));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<JsonNode> GetAsync(string path, HttpClient? client = null)
    {
        var response = await (client ?? Tenant).GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
        Tenant.Dispose();
        Stranger.Dispose();
        await Cp.DisposeAsync();
    }
}
