using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>
/// <c>_rules</c> of a dataplane and <c>_resources/dataplanes</c> of a policy, over a mesh with Kuma's default
/// policies plus a MeshTimeout and a MeshFaultInjection that select the backend service.
/// </summary>
public sealed class InspectRulesTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private const string Mesh = "inspect";
    private HttpClient Client => fixture.ControlPlane.Client;

    public async Task InitializeAsync()
    {
        (await Client.PutAsync($"/meshes/{Mesh}", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        await Put("dataplanes/web-1", Samples.Dataplane(Mesh, "web-1", service: "web", address: "10.0.1.1"));
        await Put("dataplanes/backend-1", Samples.Dataplane(Mesh, "backend-1", service: "backend", address: "10.0.0.1", port: 9001));
        await Put("dataplanes/backend-2", Samples.Dataplane(Mesh, "backend-2", service: "backend", address: "10.0.0.2", port: 9001));
        await Put("meshtimeouts/timeout-backend", """
            {"type":"MeshTimeout","mesh":"inspect","name":"timeout-backend","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
             "from":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"3s"}}}],
             "to":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"connectionTimeout":"2s"}}]}}
            """);
        await Put("meshfaultinjections/faults-from-web", """
            {"type":"MeshFaultInjection","mesh":"inspect","name":"faults-from-web","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
             "from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"http":[{"abort":{"httpStatus":503,"percentage":50}}]}}]}}
            """);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task Put(string path, string body) =>
        (await Client.PutAsync($"/meshes/{Mesh}/{path}", ControlPlane.Json(body))).EnsureSuccessStatusCode();

    private async Task<JsonNode> Get(string path) => JsonNode.Parse(await Client.GetStringAsync(path))!;

    private const string ZoneLabels = """{"kuma.io/env":"universal","kuma.io/mesh":"inspect","kuma.io/origin":"zone","kuma.io/zone":"default"}""";

    private static JsonNode Meta(string type, string name, string labels = ZoneLabels) =>
        JsonNode.Parse($$"""{"labels":{{labels}},"mesh":"inspect","name":"{{name}}","type":"{{type}}"}""")!;

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    [Fact]
    public async Task Rules_list_every_applying_type_with_merged_confs_and_origins()
    {
        var body = await Get($"/meshes/{Mesh}/dataplanes/backend-1/_rules");
        Assert.True(JsonNode.DeepEquals(Meta("Dataplane", "backend-1"), body["resource"]));
        Assert.Empty(body["httpMatches"]!.AsArray());
        var rules = body["rules"]!.AsArray();
        Assert.Equal(["MeshFaultInjection", "MeshTimeout", "MeshRetry", "MeshCircuitBreaker"], rules.Select(r => (string)r!["type"]!));

        // MeshFaultInjection keeps from per caller: only web's subset has a conf (nothing covers "not web").
        var fault = rules[0]!;
        AssertJson("""[{"inbound":{"port":9001,"tags":{"kuma.io/protocol":"http","kuma.io/service":"backend"}},"rules":[""" +
            """{"conf":{"http":[{"abort":{"httpStatus":503,"percentage":50}}]},"matchers":[{"key":"kuma.io/service","not":false,"value":"web"}],""" +
            $$"""  "origin":[{{Meta("MeshFaultInjection", "faults-from-web").ToJsonString()}}]}]}]""", fault["fromRules"]);
        Assert.Empty(fault["inboundRules"]!.AsArray());
        Assert.Empty(fault["toRules"]!.AsArray());

        // MeshTimeout: the default's from and timeout-backend's merge for every caller; as inbound rules they stay apart.
        var timeout = rules[1]!;
        var defaultTimeout = Meta("MeshTimeout", "mesh-timeout-all-inspect", "{}").ToJsonString();
        var backendTimeout = Meta("MeshTimeout", "timeout-backend").ToJsonString();
        AssertJson("""[{"inbound":{"port":9001,"tags":{"kuma.io/protocol":"http","kuma.io/service":"backend"}},"rules":[""" +
            """{"conf":{"connectionTimeout":"10s","idleTimeout":"2h","http":{"requestTimeout":"3s","streamIdleTimeout":"1h","maxStreamDuration":"0s"}},""" +
            $$"""  "matchers":[],"origin":[{{defaultTimeout}},{{backendTimeout}}]}]}]""", timeout["fromRules"]);
        AssertJson("""[{"inbound":{"port":9001,"tags":{"kuma.io/protocol":"http","kuma.io/service":"backend"}},"rules":[""" +
            """{"conf":[{"connectionTimeout":"10s","idleTimeout":"2h","http":{"requestTimeout":"0s","streamIdleTimeout":"1h","maxStreamDuration":"0s"}}],""" +
            $$"""  "origin":[{"resourceMeta":{{defaultTimeout}},"ruleIndex":0}]},""" +
            """{"conf":[{"http":{"requestTimeout":"3s"}}],""" +
            $$"""  "origin":[{"resourceMeta":{{backendTimeout}},"ruleIndex":0}]}""" + "]}]", timeout["inboundRules"]);
        // to: the service subset first (its own conf over the default's), then the whole mesh.
        AssertJson("""[{"conf":{"connectionTimeout":"2s","idleTimeout":"1h","http":{"requestTimeout":"15s","streamIdleTimeout":"30m"}},""" +
            $$"""  "matchers":[{"key":"kuma.io/service","not":false,"value":"web"}],"origin":[{{defaultTimeout}},{{backendTimeout}}]},""" +
            """{"conf":{"connectionTimeout":"5s","idleTimeout":"1h","http":{"requestTimeout":"15s","streamIdleTimeout":"30m"}},""" +
            $$"""  "matchers":[],"origin":[{{defaultTimeout}}]}]""", timeout["toRules"]);
        AssertJson("""[{"conf":[{"connectionTimeout":"5s","idleTimeout":"1h","http":{"requestTimeout":"15s","streamIdleTimeout":"30m"}}],""" +
            $$"""  "origin":[{"resourceMeta":{{defaultTimeout}},"ruleIndex":0}],""" +
            """ "resourceMeta":{"labels":{},"mesh":"","name":"inspect","type":"Mesh"},"resourceSectionName":""}]""", timeout["toResourceRules"]);
        Assert.Null(timeout["proxyRule"]);
        Assert.Empty(timeout["warnings"]!.AsArray());

        AssertJson("""[{"conf":{"connectionLimits":{"maxConnections":1024,"maxPendingRequests":1024,"maxRequests":1024,"maxRetries":3}},"matchers":[],""" +
            $$"""  "origin":[{{Meta("MeshCircuitBreaker", "mesh-circuit-breaker-all-inspect", "{}").ToJsonString()}}]}]""", rules[3]!["toRules"]);
    }

    [Fact]
    public async Task A_caller_without_inbound_policies_gets_no_fault_rules()
    {
        var rules = (await Get($"/meshes/{Mesh}/dataplanes/web-1/_rules"))["rules"]!.AsArray();
        Assert.Equal(["MeshTimeout", "MeshRetry", "MeshCircuitBreaker"], rules.Select(r => (string)r!["type"]!));
        // web is not backend: timeout-backend's from does not reach its inbound, only the default's does.
        var from = rules[0]!["fromRules"]![0]!["rules"]![0]!;
        Assert.Equal(["mesh-timeout-all-inspect"], from["origin"]!.AsArray().Select(o => (string)o!["name"]!));
    }

    [Fact]
    public async Task A_traffic_permission_is_noted_as_without_effect_while_the_mesh_has_no_mtls()
    {
        const string Other = "inspect-mtp";
        (await Client.PutAsync($"/meshes/{Other}", ControlPlane.Json("""{"mtls":{"backends":[{"name":"ca-1","type":"builtin"}]}}"""))).EnsureSuccessStatusCode();
        (await Client.PutAsync($"/meshes/{Other}/dataplanes/backend-1", ControlPlane.Json(Samples.Dataplane(Other, "backend-1", service: "backend")))).EnsureSuccessStatusCode();
        (await Client.PutAsync($"/meshes/{Other}/meshtrafficpermissions/allow-web", ControlPlane.Json("""
            {"type":"MeshTrafficPermission","mesh":"inspect-mtp","name":"allow-web","spec":{"targetRef":{"kind":"Mesh"},
             "from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"action":"Allow"}}]}}
            """))).EnsureSuccessStatusCode();
        async Task<JsonNode> Warnings() => (await Get($"/meshes/{Other}/dataplanes/backend-1/_rules"))["rules"]!.AsArray()
            .Single(r => (string)r!["type"]! == "MeshTrafficPermission")!["warnings"]!;

        AssertJson("""["mTLS is disabled in this mesh: MeshTrafficPermission has no effect (callers have no identity to check)"]""", await Warnings());

        (await Client.PutAsync($"/meshes/{Other}", ControlPlane.Json("""{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}"""))).EnsureSuccessStatusCode();
        AssertJson("[]", await Warnings());
    }

    [Fact]
    public async Task A_policy_lists_the_dataplanes_it_selects_page_by_page()
    {
        var byService = await Get($"/meshes/{Mesh}/meshtimeouts/timeout-backend/_resources/dataplanes");
        AssertJson($$"""{"items":[{{Meta("Dataplane", "backend-1").ToJsonString()}},{{Meta("Dataplane", "backend-2").ToJsonString()}}],"total":2}""", byService);

        var first = await Get($"/meshes/{Mesh}/meshtimeouts/timeout-backend/_resources/dataplanes?size=1");
        Assert.Equal(["backend-1"], first["items"]!.AsArray().Select(i => (string)i!["name"]!));
        Assert.Equal(2, (int)first["total"]!);
        var next = (string)first["next"]!;
        Assert.Equal($"http://127.0.0.1:{fixture.ControlPlane.ApiPort}/meshes/{Mesh}/meshtimeouts/timeout-backend/_resources/dataplanes?offset=1&size=1", next);
        var second = await Get(next);
        Assert.Equal(["backend-2"], second["items"]!.AsArray().Select(i => (string)i!["name"]!));
        Assert.Null(second["next"]);

        var meshWide = await Get($"/meshes/{Mesh}/meshtimeouts/mesh-timeout-all-inspect/_resources/dataplanes");
        Assert.Equal(["backend-1", "backend-2", "web-1"], meshWide["items"]!.AsArray().Select(i => (string)i!["name"]!));
        var gatewaysOnly = await Get($"/meshes/{Mesh}/meshtimeouts/mesh-gateways-timeout-all-inspect/_resources/dataplanes");
        AssertJson("""{"items":[],"total":0}""", gatewaysOnly);
        var named = await Get($"/meshes/{Mesh}/meshtimeouts/mesh-timeout-all-inspect/_resources/dataplanes?name=end-2");
        Assert.Equal(["backend-2"], named["items"]!.AsArray().Select(i => (string)i!["name"]!));
    }

    [Theory]
    [InlineData("/meshes/nope/dataplanes/backend-1/_rules", "Failed to retrieve Mesh")]
    [InlineData("/meshes/inspect/dataplanes/nope/_rules", "Could not retrieve Dataplane")]
    [InlineData("/meshes/nope/meshtimeouts/timeout-backend/_resources/dataplanes", "Failed to retrieve Mesh")]
    [InlineData("/meshes/inspect/meshtimeouts/nope/_resources/dataplanes", "Could not retrieve policy")]
    [InlineData("/meshes/inspect/meshretries/timeout-backend/_resources/dataplanes", "Could not retrieve policy")]
    [InlineData("/meshes/inspect/dataplanes/nope/_config", "Failed to fetch dataplane insight")]
    [InlineData("/meshes/inspect/dataplanes/nope/_config?format=dump", "Could not retrieve a resource")]
    [InlineData("/meshes/inspect/dataplanes/nope/_overview", "Could not retrieve a resource")]
    [InlineData("/meshes/nope/dataplanes/backend-1/_config", "Failed to retrieve Mesh")]
    public async Task Unknown_resources_answer_404_in_Kumas_shape(string path, string title)
    {
        var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(title, (string)error["title"]!);
        Assert.Equal("Not found", (string)error["details"]!);
        Assert.Equal(404, (int)error["status"]!);
    }
}
