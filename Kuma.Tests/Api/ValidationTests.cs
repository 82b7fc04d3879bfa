using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>Bad input gets a Kuma-shaped error naming every bad field, and changes nothing.</summary>
public sealed class ValidationTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private const string Mesh = "valid";
    private HttpClient Client => fixture.ControlPlane.Client;

    public async Task InitializeAsync() => await Client.PutAsync($"/meshes/{Mesh}", ControlPlane.Json("{}"));

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string, string, string[]> BadFields() => new()
    {
        { "Mesh", "bad-mesh", """{"type":"Mesh","name":"bad-mesh","mtls":{"enabledBackend":"nope","backends":[{"name":"ca-1","type":"builtin","mode":"SOMETIMES"}]}}""",
            ["mtls.enabledBackend", "mtls.backends[0].mode"] },
        { "Dataplane", "dp-bad", """{"type":"Dataplane","mesh":"valid","name":"dp-bad","networking":{"address":"","inbound":[{"port":70000,"tags":{"kuma.io/service":"web","kuma.io/protocol":"smtp"}}]}}""",
            ["networking.address", "networking.inbound[0].port", "networking.inbound[0].tags[\"kuma.io/protocol\"]"] },
        { "Dataplane", "dp-types", """{"type":"Dataplane","mesh":"valid","name":"dp-types","networking":{"address":"10.0.0.1","inbound":[{"port":"80","tags":{"kuma.io/service":"web"}}],"typo":true}}""",
            ["networking.inbound[0].port", "networking.typo"] },
        { "Secret", "s-bad", """{"type":"Secret","mesh":"valid","name":"s-bad","data":"%%% not base64"}""", ["data"] },
        { "GlobalSecret", "gs-bad", """{"type":"GlobalSecret","name":"gs-bad","data":7}""", ["data"] },
        { "MeshTimeout", "mt-bad", """{"type":"MeshTimeout","mesh":"valid","name":"mt-bad","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"-1s","connectionTimeout":"0s"}}]}}""",
            ["spec.to[0].default.idleTimeout", "spec.to[0].default.connectionTimeout"] },
        { "MeshRetry", "mr-bad", """{"type":"MeshRetry","mesh":"valid","name":"mr-bad","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"grpc":{"retryOn":["Sometimes"]},"tcp":{"maxConnectAttempt":0}}}]}}""",
            ["spec.to[0].default.conf.grpc.retryOn[0]", "spec.to[0].default.conf.tcp.maxConnectAttempt"] },
        { "MeshCircuitBreaker", "mcb-bad", """{"type":"MeshCircuitBreaker","mesh":"valid","name":"mcb-bad","spec":{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"connectionLimits":{"maxConnections":0},"outlierDetection":{"maxEjectionPercent":150,"detectors":{"totalFailures":{"consecutive":1}}}}}]}}""",
            ["spec.to[0].default.connectionLimits.maxConnections", "spec.to[0].default.outlierDetection.maxEjectionPercent"] },
        { "MeshTrafficPermission", "mtp-bad", """{"type":"MeshTrafficPermission","mesh":"valid","name":"mtp-bad","spec":{"targetRef":{"kind":"MeshGateway","name":"gw"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Maybe"}}]}}""",
            ["spec.targetRef.kind", "spec.from[0].default.action"] },
        { "MeshTrafficPermission", "mtp-to", """{"type":"MeshTrafficPermission","mesh":"valid","name":"mtp-to","spec":{"to":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Allow"}}]}}""",
            ["spec.to", "spec"] },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task Every_bad_field_is_named_and_nothing_is_written(string type, string name, string body, string[] fields)
    {
        var sample = Samples.Get(type);
        var path = Samples.PathOf(sample, Mesh, name);
        var before = await Snapshot();

        var response = await Client.PutAsync(path, ControlPlane.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("/std-errors", error["type"]!.GetValue<string>());
        Assert.Equal(400, error["status"]!.GetValue<int>());
        Assert.Equal("Could not process a resource", error["title"]!.GetValue<string>());
        var reported = error["invalid_parameters"]!.AsArray().Select(p => p!["field"]!.GetValue<string>()).ToList();
        foreach (var field in fields) Assert.Contains(field, reported);
        Assert.Equal(reported, error["causes"]!.AsArray().Select(p => p!["field"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(path)).StatusCode);
        Assert.Equal(before, await Snapshot());
    }

    /// <summary>A tag whose value is null once answered 500; it is an empty value, judged like any other.</summary>
    public static TheoryData<string, string, string, string, string[]> NullTagValues() => new()
    {
        { "application/json", $"/meshes/{Mesh}/dataplanes/dp-null-tag",
            """{"type":"Dataplane","mesh":"valid","name":"dp-null-tag","networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web","version":null}}]}}""",
            "networking.inbound[0].tags[\"version\"]", ["tag value must be non-empty"] },
        { "application/yaml", $"/meshes/{Mesh}/dataplanes/dp-null-yaml",
            "type: Dataplane\nmesh: valid\nname: dp-null-yaml\nnetworking:\n  address: 10.0.0.1\n  inbound:\n  - port: 8080\n    tags:\n      kuma.io/service: ~\n",
            "networking.inbound[0].tags[\"kuma.io/service\"]", ["tag value must be non-empty"] },
        { "application/json", $"/meshes/{Mesh}/dataplanes/dp-null-gw",
            """{"type":"Dataplane","mesh":"valid","name":"dp-null-gw","networking":{"address":"10.0.0.1","gateway":{"tags":{"kuma.io/service":null}}}}""",
            "networking.gateway.tags[\"kuma.io/service\"]", ["tag value must be non-empty"] },
        { "application/json", "/meshes/null-constraint",
            """{"type":"Mesh","name":"null-constraint","constraints":{"dataplaneProxy":{"requirements":[{"tags":{"team":null}}]}}}""",
            "constraints.dataplaneProxy.requirements[0].tags[\"team\"]", ["tag value must be non-empty"] },
        { "application/json", $"/meshes/{Mesh}/meshtimeouts/mt-null-tag",
            """{"type":"MeshTimeout","mesh":"valid","name":"mt-null-tag","spec":{"targetRef":{"kind":"MeshSubset","tags":{"version":null}},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"1s"}}]}}""",
            "spec.targetRef.tags[\"version\"]", ["tag value must be non-empty"] },
    };

    [Theory]
    [MemberData(nameof(NullTagValues))]
    public async Task A_null_tag_value_is_a_field_error(string contentType, string path, string body, string field, string[] reasons)
    {
        var before = await Snapshot();

        var response = await Client.PutAsync(path, new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var causes = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["causes"]!.AsArray();
        Assert.Equal(reasons, causes.Where(c => c!["field"]!.GetValue<string>() == field).Select(c => c!["message"]!.GetValue<string>()));
        Assert.Equal(before, await Snapshot());
    }

    public static TheoryData<string, string, string> MalformedBodies() => new()
    {
        { "application/json", """{"type":"Secret","mesh":"valid","name":"m1","data":""", "could not parse the body as JSON" },
        { "application/json", """{"type":"Secret","type":"Secret"}""", "could not parse the body as JSON" },
        { "application/json", "[1,2]", "must be an object" },
        { "application/json", "", "request body is empty" },
        { "application/yaml", "type: Secret\nmesh: [unclosed\n", "could not parse the body as YAML" },
        { "application/yaml", "a: &x [*x]\n", "YAML" },
        { "application/yaml", "type: Secret\n---\ntype: Secret\n", "exactly one YAML document" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_bodies_are_refused_in_kuma_shape(string contentType, string body, string detail)
    {
        var before = await Snapshot();
        var response = await Client.PutAsync($"/meshes/{Mesh}/secrets/m1", new StringContent(body, Encoding.UTF8, contentType));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("/std-errors", error["type"]!.GetValue<string>());
        Assert.Contains(detail, error["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        var before = await Snapshot();
        var huge = $$"""{"type":"Secret","mesh":"valid","name":"big","data":"{{new string('A', 2 * 1024 * 1024)}}"}""";
        var response = await Client.PutAsync($"/meshes/{Mesh}/secrets/big", ControlPlane.Json(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<int>());

        // Without a Content-Length (chunked), the limit still holds.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, $"/meshes/{Mesh}/secrets/big") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Client.SendAsync(request)).StatusCode);
        Assert.Equal(before, await Snapshot());
    }

    [Theory]
    [InlineData("""{"type":"Secret","mesh":"valid","name":"other","data":"eA=="}""", "name")]
    [InlineData("""{"type":"Secret","mesh":"elsewhere","name":"s1","data":"eA=="}""", "mesh")]
    [InlineData("""{"type":"GlobalSecret","mesh":"valid","name":"s1","data":"eA=="}""", "type")]
    public async Task Body_disagreeing_with_the_path_is_refused(string body, string field)
    {
        var before = await Snapshot();
        var response = await Client.PutAsync($"/meshes/{Mesh}/secrets/s1", ControlPlane.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(error["invalid_parameters"]!.AsArray(), p => p!["field"]!.GetValue<string>() == field
            && p["reason"]!.GetValue<string>() == $"{field} from the URL has to be the same as in body");
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task Invalid_names_are_refused()
    {
        var response = await Client.PutAsync($"/meshes/{Mesh}/secrets/Bad_Name", ControlPlane.Json("""{"data":"eA=="}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"field\":\"name\"", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("PUT", "/meshes/valid/widgets/w1")]
    [InlineData("GET", "/meshes/valid/widgets")]
    [InlineData("GET", "/widgets")]
    [InlineData("GET", "/meshes/valid/dataplanes/a/b/c")]
    public async Task Unknown_types_and_paths_answer_404(string method, string path)
    {
        var before = await Snapshot();
        var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = ControlPlane.Json("{}") });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/std-errors", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_resource_in_a_missing_mesh_answers_404()
    {
        var response = await Client.PutAsync("/meshes/no-such-mesh/secrets/s1", ControlPlane.Json("""{"data":"eA=="}"""));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Failed to retrieve Mesh", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("size=abc", "size")]
    [InlineData("size=5000", "size")]
    [InlineData("size=0", "size")]
    [InlineData("offset=%%%", "offset")]
    [InlineData("filter[name]=x", "filter[name]")]
    public async Task Bad_list_parameters_are_refused(string query, string field)
    {
        var response = await Client.GetAsync($"/meshes/{Mesh}/secrets?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"field\":\"{field}\"", await response.Content.ReadAsStringAsync());
    }

    /// <summary>Everything in the test mesh and the tenant's global secrets, as the API lists it.</summary>
    private async Task<string> Snapshot()
    {
        var parts = new List<string>();
        foreach (var sample in Samples.All)
        {
            var path = sample.MeshScoped ? $"/meshes/{Mesh}/{sample.Plural}?size=1000" : $"/{sample.Plural}?size=1000";
            parts.Add(await Client.GetStringAsync(path));
        }
        return string.Join('\n', parts);
    }
}
