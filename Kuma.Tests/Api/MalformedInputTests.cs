using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>
/// Inputs that once reached code unprepared for them and answered 500. Each answers a 4xx in Kuma's error
/// shape, names the bad fields with the usual paths, and stores nothing.
/// </summary>
public sealed class MalformedInputTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private const string Mesh = "odd";
    private const string Invalid = "Could not process a resource";
    private HttpClient Client => fixture.ControlPlane.Client;

    public async Task InitializeAsync() => Assert.True((await Client.PutAsync($"/meshes/{Mesh}", ControlPlane.Json("{}"))).IsSuccessStatusCode);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A PUT whose body is wrong, the status and title it must get, and the full list of fields it must name.</summary>
    public sealed record BadPut(string Path, string Body, int Status, string Title, string[] Fields, string ContentType = "application/json");

    /// <param name="networking">The networking object without its address, which every case shares.</param>
    private static string Dataplane(string name, string networking) =>
        $$"""{"type":"Dataplane","mesh":"{{Mesh}}","name":"{{name}}","networking":""" + networking.Insert(1, "\"address\":\"10.0.0.1\",") + "}";

    private static string Policy(string type, string name, string spec) =>
        $$"""{"type":"{{type}}","mesh":"{{Mesh}}","name":"{{name}}","spec":{{spec}}}""";

    private const string Inbound = """{"port":8080,"tags":{"kuma.io/service":"web"}}""";

    private static string RetryTo(string conf) =>
        $$"""{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{{conf}}}]}""";

    private static readonly Dictionary<string, BadPut> Puts = new()
    {
        ["inbound null element"] = new($"/meshes/{Mesh}/dataplanes/dp-1", Dataplane("dp-1", """{"inbound":[null]}"""), 400, Invalid, ["networking.inbound[0]"]),
        ["outbound null element"] = new($"/meshes/{Mesh}/dataplanes/dp-2", Dataplane("dp-2", $$"""{"inbound":[{{Inbound}}],"outbound":[null]}"""), 400, Invalid, ["networking.outbound[0]"]),
        // The null keeps its place: the next element's error still names index 1.
        ["null then bad inbound"] = new($"/meshes/{Mesh}/dataplanes/dp-3",
            Dataplane("dp-3", """{"inbound":[null,{"port":0,"tags":{"kuma.io/service":"web"}}]}"""), 400, Invalid,
            ["networking.inbound[0]", "networking.inbound[1].port"]),
        ["null tag value"] = new($"/meshes/{Mesh}/dataplanes/dp-4",
            Dataplane("dp-4", """{"inbound":[{"port":8080,"tags":{"kuma.io/service":null}}]}"""), 400, Invalid,
            ["networking.inbound[0].tags[\"kuma.io/service\"]"]),
        ["null listener"] = new($"/meshes/{Mesh}/dataplanes/dp-5", Dataplane("dp-5", $$"""{"inbound":[{{Inbound}}],"listeners":[null]}"""), 400, Invalid, ["networking.listeners[0]"]),
        ["null mtls backend"] = new("/meshes/odd-mtls", """{"type":"Mesh","name":"odd-mtls","mtls":{"backends":[null]}}""", 400, Invalid, ["mtls.backends[0]"]),
        ["to null element"] = new($"/meshes/{Mesh}/meshtimeouts/mt-1", Policy("MeshTimeout", "mt-1", """{"targetRef":{"kind":"Mesh"},"to":[null]}"""), 400, Invalid, ["spec.to[0]"]),
        ["from null element"] = new($"/meshes/{Mesh}/meshtrafficpermissions/mtp-1", Policy("MeshTrafficPermission", "mtp-1", """{"targetRef":{"kind":"Mesh"},"from":[null]}"""), 400, Invalid, ["spec.from[0]"]),
        ["rules null element"] = new($"/meshes/{Mesh}/meshtrafficpermissions/mtp-2", Policy("MeshTrafficPermission", "mtp-2", """{"targetRef":{"kind":"Mesh"},"rules":[null]}"""), 400, Invalid, ["spec.rules[0]"]),
        ["matches null element"] = new($"/meshes/{Mesh}/meshtrafficpermissions/mtp-3",
            Policy("MeshTrafficPermission", "mtp-3", """{"targetRef":{"kind":"Mesh"},"rules":[{"matches":[null],"default":{"allow":[{"spiffeID":{"type":"Exact","value":"spiffe://a/b"}}]}}]}"""), 400, Invalid,
            ["spec.rules[0].matches[0]"]),
        ["proxyTypes null element"] = new($"/meshes/{Mesh}/meshtimeouts/mt-2",
            Policy("MeshTimeout", "mt-2", """{"targetRef":{"kind":"Mesh","proxyTypes":[null]},"to":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"1s"}}]}"""), 400, Invalid,
            ["spec.targetRef.proxyTypes[0]"]),
        ["retryOn null element"] = new($"/meshes/{Mesh}/meshretries/mr-1", Policy("MeshRetry", "mr-1", RetryTo("""{"http":{"retryOn":[null,"nope"]}}""")), 400, Invalid,
            ["spec.to[0].default.http.retryOn[0]", "spec.to[0].default.conf.http.retryOn[1]"]),
        ["resetHeaders null element"] = new($"/meshes/{Mesh}/meshretries/mr-2",
            Policy("MeshRetry", "mr-2", RetryTo("""{"http":{"rateLimitedBackOff":{"resetHeaders":[null]}}}""")), 400, Invalid,
            ["spec.to[0].default.http.rateLimitedBackOff.resetHeaders[0]"]),
        ["retriable headers null element"] = new($"/meshes/{Mesh}/meshretries/mr-3",
            Policy("MeshRetry", "mr-3", RetryTo("""{"http":{"retriableResponseHeaders":[null],"retriableRequestHeaders":[null],"hostSelection":[null]}}""")), 400, Invalid,
            ["spec.to[0].default.http.retriableResponseHeaders[0]", "spec.to[0].default.http.retriableRequestHeaders[0]", "spec.to[0].default.http.hostSelection[0]"]),
        ["grpc retryOn null element"] = new($"/meshes/{Mesh}/meshretries/mr-4", Policy("MeshRetry", "mr-4", RetryTo("""{"grpc":{"retryOn":[null]}}""")), 400, Invalid,
            ["spec.to[0].default.grpc.retryOn[0]"]),
        ["fractional port"] = new($"/meshes/{Mesh}/dataplanes/dp-6", Dataplane("dp-6", """{"inbound":[{"port":80.5,"tags":{"kuma.io/service":"web"}}]}"""), 400, Invalid, ["networking.inbound[0].port"]),
        ["port beyond double"] = new($"/meshes/{Mesh}/dataplanes/dp-7", Dataplane("dp-7", """{"inbound":[{"port":1e400,"tags":{"kuma.io/service":"web"}}]}"""), 400, Invalid, ["networking.inbound[0].port"]),
        ["tiny fraction port"] = new($"/meshes/{Mesh}/dataplanes/dp-8", Dataplane("dp-8", """{"inbound":[{"port":1e-400,"tags":{"kuma.io/service":"web"}}]}"""), 400, Invalid, ["networking.inbound[0].port"]),
        ["sampling beyond double"] = new("/meshes/odd-sampling", """{"type":"Mesh","name":"odd-sampling","tracing":{"backends":[{"name":"z","type":"zipkin","sampling":1e400}]}}""", 400, Invalid,
            ["tracing.backends[0].sampling", "tracing.backends[0].config.url"]),
        ["yaml number beyond double"] = new($"/meshes/{Mesh}/dataplanes/dp-9",
            $"type: Dataplane\nmesh: {Mesh}\nname: dp-9\nnetworking:\n  address: 10.0.0.1\n  inbound:\n  - port: 1e400\n    tags:\n      kuma.io/service: web\n", 400, Invalid,
            ["networking.inbound[0].port"], "application/yaml"),
        ["lone surrogate in value"] = new($"/meshes/{Mesh}/dataplanes/dp-10", Dataplane("dp-10", $$"""{"inbound":[{{Inbound}}],"advertisedAddress":"\ud800"}"""), 400, "Bad Request",
            ["networking.advertisedAddress"]),
        ["lone surrogate in key"] = new($"/meshes/{Mesh}/dataplanes/dp-11", Dataplane("dp-11", $$"""{"inbound":[{{Inbound}}],"\udc00":1}"""), 400, "Bad Request", []),
        // YamlDotNet refuses the escape itself, so the answer names no field.
        ["lone surrogate in yaml"] = new($"/meshes/{Mesh}/dataplanes/dp-16",
            $"type: Dataplane\nmesh: {Mesh}\nname: dp-16\nnetworking:\n  address: 10.0.0.1\n  advertisedAddress: \"\\ud800\"\n", 400, "Bad Request",
            [], "application/yaml"),
        ["nul in value"] = new($"/meshes/{Mesh}/dataplanes/dp-12", Dataplane("dp-12", $$"""{"inbound":[{{Inbound}}],"advertisedAddress":"10.0.0.2\u0000"}"""), 400, "Bad Request",
            ["networking.advertisedAddress"]),
        ["nul in label value"] = new($"/meshes/{Mesh}/dataplanes/dp-13",
            $$$"""{"type":"Dataplane","mesh":"{{{Mesh}}}","name":"dp-13","labels":{"team":"a\u0000"},"networking":{"address":"10.0.0.1","inbound":[{{{Inbound}}}]}}""", 400, "Bad Request",
            ["labels[\"team\"]"]),
        ["nul in label key"] = new($"/meshes/{Mesh}/dataplanes/dp-14",
            $$$"""{"type":"Dataplane","mesh":"{{{Mesh}}}","name":"dp-14","labels":{"te\u0000am":"a"},"networking":{"address":"10.0.0.1","inbound":[{{{Inbound}}}]}}""", 400, "Bad Request",
            ["labels[\"te\u0000am\"]"]),
        ["newline after label value"] = new($"/meshes/{Mesh}/dataplanes/dp-15",
            $$$"""{"type":"Dataplane","mesh":"{{{Mesh}}}","name":"dp-15","labels":{"team":"a\n"},"networking":{"address":"10.0.0.1","inbound":[{{{Inbound}}}]}}""", 400, Invalid,
            ["labels[\"team\"]"]),
        ["tenant quota beyond long"] = new("/tenants/odd-tenant", """{"type":"Tenant","name":"odd-tenant","quotas":{"meshes":1e30}}""", 400, Invalid, ["quotas.meshes"]),
    };

    public static TheoryData<string> BadPutNames() => [.. Puts.Keys];

    [Theory]
    [MemberData(nameof(BadPutNames))]
    public async Task A_malformed_body_is_refused_and_stores_nothing(string name)
    {
        var bad = Puts[name];
        var response = await Client.PutAsync(bad.Path, new StringContent(bad.Body, Encoding.UTF8, bad.ContentType));

        var error = await AssertKumaError(response, bad.Status, bad.Title);
        Assert.Equal(bad.Fields, FieldsOf(error));
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(bad.Path)).StatusCode);
    }

    /// <summary>Kuma's own dataplane validator cases for tags written without a value: YAML's empty value is null, read as an empty tag.</summary>
    public static TheoryData<string, string, string[]> NullTagCases() => new()
    {
        { "  inbound:\n  - port: 1234\n    tags:\n      kuma.io/service: backend\n      version:\n",
            "tag value must be non-empty", ["networking.inbound[0].tags[\"version\"]"] },
        { "  inbound:\n  - port: 1234\n    tags:\n      kuma.io/service: backend\n      kuma.io/protocol:\n",
            "tag value must be non-empty", ["networking.inbound[0].tags[\"kuma.io/protocol\"]", "networking.inbound[0].tags[\"kuma.io/protocol\"]"] },
        { "  gateway:\n    tags:\n      kuma.io/service: backend\n      version:\n",
            "tag value must be non-empty", ["networking.gateway.tags[\"version\"]"] },
        { "  inbound:\n  - port: 1234\n    tags:\n      kuma.io/service: backend\n  outbound:\n  - port: 3333\n    tags:\n      kuma.io/service:\n",
            "tag value must be non-empty", ["networking.outbound[0].tags[\"kuma.io/service\"]"] },
    };

    [Theory]
    [MemberData(nameof(NullTagCases))]
    public async Task A_tag_without_a_value_is_an_empty_tag(string networking, string reason, string[] fields)
    {
        var yaml = $"type: Dataplane\nmesh: {Mesh}\nname: dp-null-tag\nnetworking:\n  address: 192.168.0.1\n{networking}";
        var response = await Client.PutAsync($"/meshes/{Mesh}/dataplanes/dp-null-tag", ControlPlane.Yaml(yaml));

        var error = await AssertKumaError(response, 400, Invalid);
        Assert.Equal(fields, FieldsOf(error));
        Assert.Contains(reason, error["invalid_parameters"]!.AsArray().Select(p => p!["reason"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/meshes/{Mesh}/dataplanes/dp-null-tag")).StatusCode);
    }

    /// <summary>
    /// Decision, as protobuf's JSON mapping (Kuma's Dataplane and Mesh) reads integers: a number written with a
    /// fraction or exponent is accepted when its value is integral, and stored as that integer; -0 is 0.
    /// Anything not integral is a field error.
    /// </summary>
    [Fact]
    public async Task An_integral_number_in_any_notation_is_that_integer()
    {
        var body = Dataplane("dp-notation", """{"inbound":[{"port":8080.0,"servicePort":1e2,"tags":{"kuma.io/service":"web"}}],"admin":{"port":9.9010e3}}""");
        var response = await Client.PutAsync($"/meshes/{Mesh}/dataplanes/dp-notation", ControlPlane.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var stored = JsonNode.Parse(await Client.GetStringAsync($"/meshes/{Mesh}/dataplanes/dp-notation"))!;
        Assert.Equal("8080", stored["networking"]!["inbound"]![0]!["port"]!.ToJsonString());
        Assert.Equal("100", stored["networking"]!["inbound"]![0]!["servicePort"]!.ToJsonString());
        Assert.Equal("9901", stored["networking"]!["admin"]!["port"]!.ToJsonString());

        // -0 is 0, which no port may be: a field error, not a server error.
        var zero = Dataplane("dp-zero", """{"inbound":[{"port":-0,"tags":{"kuma.io/service":"web"}}]}""");
        var error = await AssertKumaError(await Client.PutAsync($"/meshes/{Mesh}/dataplanes/dp-zero", ControlPlane.Json(zero)), 400, Invalid);
        Assert.Equal(["networking.inbound[0].port"], FieldsOf(error));
    }

    private static string Offset(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string, string[]> BadListQueries() => new()
    {
        { "name=a%00b", ["name"] },
        { "offset=%00", ["offset"] },
        { "filter%5Blabels.team%5D=a%00", ["filter[labels.team]"] },
        { "offset=Zm9vYmFy", ["offset"] },
        { "offset=!!!not-base64!!!", ["offset"] },
        { "offset=" + new string('A', 6000), ["offset"] },
        { "offset=" + Offset("""["odd",null]"""), ["offset"] },
        { "offset=" + Offset("""[1,2]"""), ["offset"] },
        { "offset=" + Offset("""["odd","a\u0000"]"""), ["offset"] },
        { "offset=" + Offset("""{"a":1}"""), ["offset"] },
    };

    [Theory]
    [MemberData(nameof(BadListQueries))]
    public async Task A_malformed_list_query_is_refused(string query, string[] fields)
    {
        var error = await AssertKumaError(await Client.GetAsync($"/meshes/{Mesh}/dataplanes?{query}"), 400, "Bad Request");
        Assert.Equal(fields, FieldsOf(error));
    }

    /// <summary>
    /// Paths sent byte for byte (HttpClient would normalise some), and what each must answer. Kestrel itself
    /// refuses <c>%00</c> in a path with a bare 400 before any of our code runs; those answers carry no body.
    /// </summary>
    public static TheoryData<string, string, int, bool> OddPaths() => new()
    {
        { "GET", $"/meshes/a%2Fb/dataplanes", 404, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/a%2Fb", 404, true },
        { "DELETE", $"/meshes/{Mesh}/dataplanes/a%2Fb", 404, true },
        { "PUT", $"/meshes/a%2Fb/dataplanes/x", 404, true },
        { "PUT", $"/meshes/{Mesh}/dataplanes/a%2Fb", 400, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/%zz", 404, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/%", 404, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/%ED%A0%80", 404, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/a%00b", 400, false },
        { "PUT", $"/meshes/{Mesh}/dataplanes/a%00b", 400, false },
        { "GET", $"/meshes/a%00b", 400, false },
        { "GET", $"/tenants/a%2Fb", 404, true },
        { "GET", $"/tenants/a%2Fb/meshes", 404, true },
        { "GET", $"/meshes/{Mesh}/dataplanes/a%0A", 404, true },
        { "PUT", $"/meshes/{Mesh}/dataplanes/a%0A", 400, true },
    };

    [Theory]
    [MemberData(nameof(OddPaths))]
    public async Task An_odd_path_is_answered_in_kumas_shape(string method, string path, int status, bool kumaShape)
    {
        var body = Dataplane("x", $$"""{"inbound":[{{Inbound}}]}""");
        var request = method == "PUT"
            ? $"PUT {path} HTTP/1.1\r\nHost: cp\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}"
            : $"{method} {path} HTTP/1.1\r\nHost: cp\r\nConnection: close\r\n\r\n";
        var answer = await RawHttp.SendAsync(fixture.ControlPlane.ApiPort, request);

        Assert.True(status == answer.Status, answer.Text);
        if (kumaShape)
        {
            var error = JsonNode.Parse(answer.Body)!;
            Assert.Equal(status, error["status"]!.GetValue<int>());
            Assert.Equal("/std-errors", error["type"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(error["title"]?.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(error["detail"]?.GetValue<string>()));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/meshes/{Mesh}/dataplanes/x")).StatusCode);
    }

    public static TheoryData<string, string, bool> BrokenFraming() => new()
    {
        { "bad chunk size", $"PUT /meshes/{Mesh}/dataplanes/framed HTTP/1.1\r\nHost: cp\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n", false },
        { "body shorter than its length", $"PUT /meshes/{Mesh}/dataplanes/framed HTTP/1.1\r\nHost: cp\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"type\":1}}", true },
        { "chunked body cut off", $"PUT /meshes/{Mesh}/dataplanes/framed HTTP/1.1\r\nHost: cp\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n64\r\n{{\"type\":1}}", true },
    };

    [Theory]
    [MemberData(nameof(BrokenFraming))]
    public async Task Broken_framing_gets_a_4xx_or_a_close_and_the_server_goes_on(string name, string request, bool halfClose)
    {
        var answer = await RawHttp.SendAsync(fixture.ControlPlane.ApiPort, request, halfClose);

        Assert.True(answer.Status is null or (>= 400 and < 500), $"{name}: {answer.Text}");
        Assert.DoesNotContain(" 500 ", answer.Text.Split("\r\n")[0]);
        if (answer.Status is { } status && answer.Text.Contains("application/json", StringComparison.OrdinalIgnoreCase))
            Assert.Contains($"\"status\":{status}", answer.Body);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/meshes/{Mesh}/dataplanes/framed")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/meshes/{Mesh}")).StatusCode);
    }

    private static async Task<JsonNode> AssertKumaError(HttpResponseMessage response, int status, string title)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var error = JsonNode.Parse(text)!;
        Assert.Equal("/std-errors", error["type"]!.GetValue<string>());
        Assert.Equal(status, error["status"]!.GetValue<int>());
        Assert.Equal(title, error["title"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["detail"]!.GetValue<string>()));
        return error;
    }

    private static string[] FieldsOf(JsonNode error) =>
        error["invalid_parameters"]?.AsArray().Select(p => p!["field"]!.GetValue<string>()).ToArray() ?? [];
}
