using System.Net;
using System.Text.Json.Nodes;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kuma.Tests.Api;

/// <summary>
/// The smaller parts of Kuma's API surface kumactl and the GUI read: <c>/policies</c> and <c>/_resources</c> against
/// Kuma's golden files, <c>/config</c>, PUT's deprecation warnings, <c>kri</c> on resources; who may call what.
/// </summary>
public sealed class ApiSurfaceTests(MemoryControlPlaneFixture fixture, ApiSurfaceTests.LocalhostUntrusted untrusted)
    : IClassFixture<MemoryControlPlaneFixture>, IClassFixture<ApiSurfaceTests.LocalhostUntrusted>
{
    /// <summary>A control plane that does not take localhost for its admin: requests without a token are anonymous.</summary>
    public sealed class LocalhostUntrusted : IAsyncLifetime
    {
        public ControlPlane ControlPlane { get; private set; } = null!;

        public async Task InitializeAsync() =>
            ControlPlane = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_API_SERVER_AUTHN_LOCALHOST_IS_ADMIN"] = "false" });

        public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
    }

    private HttpClient Client => fixture.ControlPlane.Client;

    /// <summary>Kuma v2.14.3's pkg/api-server/testdata/base_endpoints/policies.golden.json, the entries of the types served here.</summary>
    private const string KumaPolicies = """
        {"policies":[{"name":"MeshAccessLog","readOnly":false,"path":"meshaccesslogs","singularDisplayName":"Mesh Access Log","pluralDisplayName":"Mesh Access Logs","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":true},{"name":"MeshCircuitBreaker","readOnly":false,"path":"meshcircuitbreakers","singularDisplayName":"Mesh Circuit Breaker","pluralDisplayName":"Mesh Circuit Breakers","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":true},{"name":"MeshFaultInjection","readOnly":false,"path":"meshfaultinjections","singularDisplayName":"Mesh Fault Injection","pluralDisplayName":"Mesh Fault Injections","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":true},{"name":"MeshHTTPRoute","readOnly":false,"path":"meshhttproutes","singularDisplayName":"Mesh HTTP Route","pluralDisplayName":"Mesh HTTP Routes","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":true},{"name":"MeshHealthCheck","readOnly":false,"path":"meshhealthchecks","singularDisplayName":"Mesh Health Check","pluralDisplayName":"Mesh Health Checks","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":true},{"name":"MeshLoadBalancingStrategy","readOnly":false,"path":"meshloadbalancingstrategies","singularDisplayName":"Mesh Load Balancing Strategy","pluralDisplayName":"Mesh Load Balancing Strategies","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":true},{"name":"MeshMetric","readOnly":false,"path":"meshmetrics","singularDisplayName":"Mesh Metric","pluralDisplayName":"Mesh Metrics","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":false},{"name":"MeshPassthrough","readOnly":false,"path":"meshpassthroughs","singularDisplayName":"Mesh Passthrough","pluralDisplayName":"Mesh Passthroughs","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":false},{"name":"MeshProxyPatch","readOnly":false,"path":"meshproxypatches","singularDisplayName":"Mesh Proxy Patch","pluralDisplayName":"Mesh Proxy Patches","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":false},{"name":"MeshRateLimit","readOnly":false,"path":"meshratelimits","singularDisplayName":"Mesh Rate Limit","pluralDisplayName":"Mesh Rate Limits","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":true},{"name":"MeshRetry","readOnly":false,"path":"meshretries","singularDisplayName":"Mesh Retry","pluralDisplayName":"Mesh Retries","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":true},{"name":"MeshTCPRoute","readOnly":false,"path":"meshtcproutes","singularDisplayName":"Mesh TCP Route","pluralDisplayName":"Mesh TCP Routes","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":true},{"name":"MeshTLS","readOnly":false,"path":"meshtlses","singularDisplayName":"Mesh TLS","pluralDisplayName":"Mesh TLSes","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":false},{"name":"MeshTimeout","readOnly":false,"path":"meshtimeouts","singularDisplayName":"Mesh Timeout","pluralDisplayName":"Mesh Timeouts","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":true},{"name":"MeshTrace","readOnly":false,"path":"meshtraces","singularDisplayName":"Mesh Trace","pluralDisplayName":"Mesh Traces","isExperimental":false,"isTargetRefBased":true,"isInbound":false,"isOutbound":false},{"name":"MeshTrafficPermission","readOnly":false,"path":"meshtrafficpermissions","singularDisplayName":"Mesh Traffic Permission","pluralDisplayName":"Mesh Traffic Permissions","isExperimental":false,"isTargetRefBased":true,"isInbound":true,"isOutbound":false}]}
        """;

    [Fact]
    public async Task Policies_are_Kumas_golden_entries_for_the_types_served_here()
    {
        using var client = AnonymousCp;
        var anonymous = await client.GetAsync("/policies");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        var actual = JsonNode.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(KumaPolicies), actual), actual!.ToJsonString());
        // And in Kuma's order, which the GUI shows as is.
        Assert.Equal(JsonNode.Parse(KumaPolicies)!["policies"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()),
            actual!["policies"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
    }

    /// <summary>Kuma v2.14.3's _resources.golden.json, per type served here.</summary>
    [Theory]
    [InlineData("Dataplane", "Dataplane", "Dataplanes", "dp", false)]
    [InlineData("Mesh", "Mesh", "Meshes", "m", true)]
    [InlineData("MeshAccessLog", "Mesh Access Log", "Mesh Access Logs", "mal", true)]
    [InlineData("MeshCircuitBreaker", "Mesh Circuit Breaker", "Mesh Circuit Breakers", "mcb", true)]
    [InlineData("MeshFaultInjection", "Mesh Fault Injection", "Mesh Fault Injections", "mfi", true)]
    [InlineData("MeshHTTPRoute", "Mesh HTTP Route", "Mesh HTTP Routes", "mhttpr", true)]
    [InlineData("MeshHealthCheck", "Mesh Health Check", "Mesh Health Checks", "mhc", true)]
    [InlineData("MeshLoadBalancingStrategy", "Mesh Load Balancing Strategy", "Mesh Load Balancing Strategies", "mlbs", true)]
    [InlineData("MeshMetric", "Mesh Metric", "Mesh Metrics", "mm", true)]
    [InlineData("MeshPassthrough", "Mesh Passthrough", "Mesh Passthroughs", "mp", true)]
    [InlineData("MeshProxyPatch", "Mesh Proxy Patch", "Mesh Proxy Patches", "mpp", true)]
    [InlineData("MeshRateLimit", "Mesh Rate Limit", "Mesh Rate Limits", "mrl", true)]
    [InlineData("MeshRetry", "Mesh Retry", "Mesh Retries", "mr", true)]
    [InlineData("MeshTCPRoute", "Mesh TCP Route", "Mesh TCP Routes", "mtcpr", true)]
    [InlineData("MeshTLS", "Mesh TLS", "Mesh TLSes", "mtls", true)]
    [InlineData("MeshTimeout", "Mesh Timeout", "Mesh Timeouts", "mt", true)]
    [InlineData("MeshTrace", "Mesh Trace", "Mesh Traces", "mtr", true)]
    [InlineData("MeshTrafficPermission", "Mesh Traffic Permission", "Mesh Traffic Permissions", "mtp", true)]
    [InlineData("Secret", "Secret", "Secrets", "", true)]
    public async Task Resource_types_carry_Kumas_display_names(string name, string singular, string plural, string shortName, bool inFederation)
    {
        var types = JsonNode.Parse(await Client.GetStringAsync("/_resources"))!["resources"]!.AsArray();
        var type = types.Single(t => t!["name"]!.GetValue<string>() == name)!;
        Assert.Equal(singular, type["singularDisplayName"]!.GetValue<string>());
        Assert.Equal(plural, type["pluralDisplayName"]!.GetValue<string>());
        Assert.Equal(shortName, type["shortName"]!.GetValue<string>());
        Assert.Equal(inFederation, type["includeInFederation"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Config_is_readable_as_Kumas_control_plane_metadata()
    {
        using var client = AnonymousCp;
        var response = await client.GetAsync("/config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var config = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("universal", config["environment"]!.GetValue<string>());
        Assert.Equal("zone", config["mode"]!.GetValue<string>());
        Assert.Equal("memory", config["store"]!["type"]!.GetValue<string>());
        Assert.Equal("dpToken", config["dpServer"]!["authn"]!["dpProxy"]!["type"]!.GetValue<string>());
        Assert.Equal(untrusted.ControlPlane.ApiPort, config["apiServer"]!["http"]!["port"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("meshtimeouts", """{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"20s"}}]}""",
        """{"warnings":["'from' field is deprecated, use 'rules' instead"]}""")]
    [InlineData("meshtrafficpermissions", """{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Allow"}}]}""",
        """{"warnings":["'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead"]}""")]
    [InlineData("meshtimeouts", """{"targetRef":{"kind":"MeshSubset","tags":{"kuma.io/service":"web"}},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"20s"}}]}""",
        """{"warnings":["MeshSubset value for 'targetRef.kind' is deprecated, use Dataplane with labels instead"]}""")]
    [InlineData("meshtimeouts", """{"targetRef":{"kind":"Mesh"},"rules":[{"default":{"idleTimeout":"20s"}}]}""", "{}")]
    public async Task Put_answers_Kumas_deprecation_warnings(string plural, string spec, string expected)
    {
        await Client.PutAsync("/meshes/warnings", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""));
        var type = PolicyTypes.Catalog.FindByPlural(plural)!.Name;
        var body = $$"""{"type":"{{type}}","mesh":"warnings","name":"w-1","spec":{{spec}}}""";
        foreach (var status in new[] { HttpStatusCode.Created, HttpStatusCode.OK })
        {
            var response = await Client.PutAsync($"/meshes/warnings/{plural}/w-1", ControlPlane.Json(body));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, answer);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(answer)), answer);
        }
        (await Client.DeleteAsync($"/meshes/warnings/{plural}/w-1")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Resources_with_a_short_name_carry_their_kri()
    {
        await Client.PutAsync("/meshes/kri-mesh", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""));
        await Client.PutAsync("/meshes/kri-mesh/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("kri-mesh", "web-1")));
        (await Client.PutAsync("/meshes/kri-mesh/meshtimeouts/mt-1", ControlPlane.Json("""
            {"type":"MeshTimeout","mesh":"kri-mesh","name":"mt-1","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"20s"}}]}}
            """))).EnsureSuccessStatusCode();
        await Client.PutAsync("/meshes/kri-mesh/secrets/s-1", ControlPlane.Json("""{"type":"Secret","mesh":"kri-mesh","name":"s-1","data":"c2VjcmV0"}"""));

        Assert.Equal("kri_m____kri-mesh_", JsonNode.Parse(await Client.GetStringAsync("/meshes/kri-mesh"))!["kri"]!.GetValue<string>());
        Assert.Equal("kri_dp_kri-mesh_default__web-1_", JsonNode.Parse(await Client.GetStringAsync("/meshes/kri-mesh/dataplanes/web-1"))!["kri"]!.GetValue<string>());
        var policies = JsonNode.Parse(await Client.GetStringAsync("/meshes/kri-mesh/meshtimeouts"))!;
        Assert.Equal("kri_mt_kri-mesh_default__mt-1_", policies["items"]![0]!["kri"]!.GetValue<string>());
        // Kuma gives secrets no short name, so no kri.
        Assert.Null(JsonNode.Parse(await Client.GetStringAsync("/meshes/kri-mesh/secrets/s-1"))!["kri"]);
    }

    private HttpClient AnonymousCp => untrusted.ControlPlane.NewClient();

    [Fact]
    public async Task An_anonymous_caller_gets_401_from_every_endpoint_holding_tenant_data()
    {
        using var anonymous = AnonymousCp;
        foreach (var path in new[] { "/who-am-i", "/global-insight", "/mesh-insights", "/mesh-insights/default", "/meshes/default/service-insights",
                     "/meshes/default/service-insights/web", "/meshes/default/dataplanes/_overview", "/meshes/default/dataplanes+insights", "/meshes/default/dataplanes+insights/web" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(HttpStatusCode.Unauthorized == response.StatusCode, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_store_outage_answers_503_on_the_insight_endpoints()
    {
        FailingListStore? store = null;
        await using var cp = await ControlPlane.StartAsync(configureServices: services => services.Replace(ServiceDescriptor.Singleton<IResourceStore>(sp =>
            store = new FailingListStore(new MemoryResourceStore(sp.GetRequiredService<TimeProvider>())))));
        (await cp.Client.PutAsync("/meshes/down", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        store!.Failing = true;
        foreach (var path in new[] { "/mesh-insights", "/mesh-insights/down", "/global-insight", "/meshes/down/dataplanes?offset=3" })
        {
            var response = await cp.Client.GetAsync(path);
            Assert.True(HttpStatusCode.ServiceUnavailable == response.StatusCode, $"{path}: {(int)response.StatusCode}");
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    /// <summary>A store whose lists fail as an unreachable database's do, once armed.</summary>
    private sealed class FailingListStore(IResourceStore inner) : IResourceStore
    {
        public volatile bool Failing;

        public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default) =>
            Failing ? throw new StoreUnavailableException("the store is unreachable (test)") : inner.ListAsync(query, ct);

        public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default) => inner.GetAsync(key, ct);
        public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default) => inner.ListMeshAsync(tenant, mesh, ct);
        public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default) => inner.CreateAsync(writes, generation, quota, ct);
        public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default) => inner.UpdateAsync(write, expectedVersion, generation, ct);
        public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default) => inner.DeleteAsync(key, expectedVersion, generation, ct);
        public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default) => inner.DeleteMeshAsync(tenant, mesh, expectedVersion, ct);
        public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default) => inner.DeleteTenantAsync(tenant, expectedVersion, ct);
        public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default) => inner.CountAsync(tenant, types, ct);
        public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default) => inner.GetGenerationAsync(generation, ct);
        public Task<long?> FenceAsync(Generation generation, CancellationToken ct = default) => inner.FenceAsync(generation, ct);
    }
}
