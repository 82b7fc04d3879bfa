using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Inspect;

/// <summary>
/// <c>GET /meshes/{mesh}/dataplanes/{name}/_config</c> in Kuma's shape (<c>{"xds": {typeUrl: {name: resource}}}</c>),
/// checked against the schema fragment of Kuma v2.14.3's OpenAPI spec, beside our older shape (<c>format=dump</c>),
/// with Kuma's refusals for bad query values, missing and foreign dataplanes, and anonymous callers.
/// </summary>
public sealed class KumaConfigShapeTests(MemoryControlPlaneFixture fixture, KumaConfigShapeTests.LocalhostUntrusted untrusted)
    : IClassFixture<MemoryControlPlaneFixture>, IClassFixture<KumaConfigShapeTests.LocalhostUntrusted>, IAsyncLifetime
{
    /// <summary>A control plane where a caller from localhost without a token is nobody, for the anonymous refusal.</summary>
    public sealed class LocalhostUntrusted : IAsyncLifetime
    {
        public ControlPlane ControlPlane { get; private set; } = null!;

        public async Task InitializeAsync() =>
            ControlPlane = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_API_SERVER_AUTHN_LOCALHOST_IS_ADMIN"] = "false" });

        public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
    }

    private const string Config = "/meshes/shop/dataplanes/web-1/_config";
    private static readonly string TestData = Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "Inspect", "testdata");

    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public async Task InitializeAsync()
    {
        var cp = fixture.ControlPlane;
        _alice = cp.NewClient(await cp.CreateTenantAsync("cfg-a"));
        _bob = cp.NewClient(await cp.CreateTenantAsync("cfg-b"));
        // mTLS on, so listeners and clusters name SDS secrets; a route, so the outbound listener carries more than one.
        await Put(_alice, "/meshes/shop", """{"type":"Mesh","name":"shop","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""");
        await Put(_alice, "/meshes/shop/dataplanes/web-1", Samples.Dataplane("shop", "web-1", service: "web", address: "10.0.1.1"));
        await Put(_alice, "/meshes/shop/dataplanes/backend-1", Samples.Dataplane("shop", "backend-1", service: "backend", address: "10.0.0.1", port: 9001));
        await Put(_alice, "/meshes/shop/meshhttproutes/to-backend", """
            {"type":"MeshHTTPRoute","mesh":"shop","name":"to-backend","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"rules":[
                {"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],"default":{"backendRefs":[{"kind":"MeshService","name":"backend"}]}}]}]}}
            """);
        // Bob has a mesh of the same name, without web-1 in it.
        await Put(_bob, "/meshes/shop", """{"type":"Mesh","name":"shop"}""");
    }

    public Task DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_default_answer_is_Kumas_shape_and_holds_the_same_resources_as_ours()
    {
        var kuma = await GetJson(_alice, Config);
        var schema = OpenApiSchema.Load(Path.Combine(TestData, "get-dataplane-xds-config.schema.json"));
        Assert.Empty(schema.Violations("DataplaneXDSConfig", kuma));
        Assert.Equal(["xds"], kuma.AsObject().Select(p => p.Key));

        var xds = kuma["xds"]!.AsObject();
        Assert.Equal([TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener, TypeUrls.Secret], xds.Select(t => t.Key));
        foreach (var (typeUrl, byName) in xds)
        {
            // Keyed by the resource's own name, in ordinal order, with no @type (the key says it).
            var names = byName!.AsObject().Select(r => r.Key).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            Assert.All(byName.AsObject(), r => Assert.Null(r.Value!["@type"]));
            Assert.All(byName.AsObject(), r => Assert.Equal(r.Key, (string?)r.Value![typeUrl == TypeUrls.ClusterLoadAssignment ? "clusterName" : "name"]));
        }

        // Our shape lists the same listeners, clusters and endpoints.
        var dump = await GetJson(_alice, Config + "?format=dump");
        AssertSameResources(dump["listeners"]!, xds[TypeUrls.Listener]!);
        AssertSameResources(dump["clusters"]!, xds[TypeUrls.Cluster]!);
        AssertSameResources(dump["endpoints"]!, xds[TypeUrls.ClusterLoadAssignment]!);
        Assert.Contains("inbound:10.0.1.1:8080", xds[TypeUrls.Listener]!.AsObject().Select(l => l.Key));
        Assert.Contains("outbound:127.0.0.1:10001", xds[TypeUrls.Listener]!.AsObject().Select(l => l.Key));
        Assert.Contains("backend", xds[TypeUrls.Cluster]!.AsObject().Select(l => l.Key));
        Assert.Contains("backend", xds[TypeUrls.ClusterLoadAssignment]!.AsObject().Select(l => l.Key));

        // The route of the MeshHTTPRoute, inline in the outbound listener as Kuma puts it ("/api" and "/api/...").
        Assert.Contains("\"prefix\":\"/api/\"", xds[TypeUrls.Listener]!["outbound:127.0.0.1:10001"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_are_placeholders_as_Kumas_and_no_key_or_certificate_leaves()
    {
        var text = await _alice.GetStringAsync(Config);
        var secrets = JsonNode.Parse(text)!["xds"]![TypeUrls.Secret];
        // "CERT", "KEY" and "CA" in base64, the values Kuma's inspector puts in every secret.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"identity_cert:secret:shop":{"name":"identity_cert:secret:shop","tlsCertificate":{"certificateChain":{"inlineBytes":"Q0VSVA=="},"privateKey":{"inlineBytes":"S0VZ"}}},
             "mesh_ca:secret:shop":{"name":"mesh_ca:secret:shop","validationContext":{"trustedCa":{"inlineBytes":"Q0E="}}}}
            """), secrets), secrets?.ToJsonString());
        Assert.DoesNotContain("LS0tLS1CRUdJTi", text, StringComparison.Ordinal); // "-----BEGIN" of any PEM, in base64
        Assert.DoesNotContain("BEGIN", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?include=diff")]
    [InlineData("?shadow=true&include=diff")]
    [InlineData("?shadow=false&include=diff")]
    public async Task Include_diff_adds_an_empty_patch_as_no_policy_is_a_shadow_here(string query)
    {
        var answer = await GetJson(_alice, Config + query);
        var schema = OpenApiSchema.Load(Path.Combine(TestData, "get-dataplane-xds-config.schema.json"));
        Assert.Empty(schema.Violations("DataplaneXDSConfig", answer));
        Assert.Equal(["diff", "xds"], answer.AsObject().Select(p => p.Key));
        Assert.Empty(answer["diff"]!.AsArray());
        Assert.True(JsonNode.DeepEquals((await GetJson(_alice, Config))["xds"], answer["xds"]));
    }

    [Theory]
    [InlineData("?shadow=trrrue", "proxyconfig_badrequest_1.golden.json")]
    [InlineData("?shadow=true&include=something", "proxyconfig_badrequest_2.golden.json")]
    public async Task Bad_query_values_answer_Kumas_400(string query, string golden)
    {
        var response = await _alice.GetAsync(Config + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(TestData, golden)));
        var actual = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(JsonNode.DeepEquals(expected, actual), actual?.ToJsonString());
    }

    [Fact]
    public async Task An_unknown_format_answers_400_in_Kumas_shape()
    {
        var response = await _alice.GetAsync(Config + "?format=yaml");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJson("""
            {"type":"/std-errors","status":400,"title":"Bad Request","detail":"bad request: unsupported value for query parameter 'format'",
             "details":"bad request: unsupported value for query parameter 'format'"}
            """, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("alice", "/meshes/shop/dataplanes/nope/_config")]
    [InlineData("bob", Config)]
    public async Task Missing_and_foreign_dataplanes_answer_Kumas_404(string caller, string path)
    {
        var response = await (caller == "alice" ? _alice : _bob).GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertJson("""
            {"type":"/std-errors","status":404,"title":"Failed to fetch dataplane insight","detail":"Not found","details":"Not found"}
            """, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task An_anonymous_caller_gets_401()
    {
        using var anonymous = untrusted.ControlPlane.NewClient();
        var response = await anonymous.GetAsync(Config);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(401, (int)error["status"]!);
        Assert.Equal("/std-errors", (string?)error["type"]);
        Assert.DoesNotContain("xds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static void AssertSameResources(JsonNode list, JsonNode byName)
    {
        var withoutType = list.AsArray().Select(r =>
        {
            var copy = r!.DeepClone().AsObject();
            copy.Remove("@type");
            return copy;
        }).ToList();
        Assert.Equal(withoutType.Count, byName.AsObject().Count);
        foreach (var resource in withoutType)
        {
            var name = (string?)resource["name"] ?? (string)resource["clusterName"]!;
            Assert.True(JsonNode.DeepEquals(resource, byName[name]), name);
        }
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    private static async Task<JsonNode> GetJson(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task Put(HttpClient client, string path, string body)
    {
        var response = await client.PutAsync(path, ControlPlane.Json(body));
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
