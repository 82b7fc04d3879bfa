using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>Bad input answers a clear error, changes nothing, and the endpoint keeps serving.</summary>
public sealed class MalformedReviewTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await WebhookServer.StartAsync(InjectionTestOptions.KumaTestConfig());
        _server.Namespaces.Put("default", labels: new Dictionary<string, string> { ["kuma.io/sidecar-injection"] = "enabled" });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, HttpStatusCode, string> UnreadableReviews() => new()
    {
        { "garbage", "this is { not json", HttpStatusCode.BadRequest, "not an AdmissionReview: " },
        { "array", "[1, 2, 3]", HttpStatusCode.BadRequest, "not an AdmissionReview: the body is not a JSON object" },
        { "deep nesting", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":""" + new string('[', 500) + new string(']', 500) + "}", HttpStatusCode.BadRequest, "not an AdmissionReview: " },
        { "wrong kind", """{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"1"}}""", HttpStatusCode.BadRequest, "expected kind AdmissionReview of apiVersion admission.k8s.io/v1" },
        { "v1beta1", """{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1"}}""", HttpStatusCode.BadRequest, "expected kind AdmissionReview of apiVersion admission.k8s.io/v1" },
        { "no request", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", HttpStatusCode.BadRequest, "the AdmissionReview has no request.uid" },
        { "missing uid", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"object":{}}}""", HttpStatusCode.BadRequest, "the AdmissionReview has no request.uid" },
        { "uid not a string", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":42}}""", HttpStatusCode.BadRequest, "the AdmissionReview has no request.uid" },
    };

    [Theory]
    [MemberData(nameof(UnreadableReviews))]
    public async Task Unreadable_review_answers_a_client_error_and_the_endpoint_keeps_serving(string what, string body, HttpStatusCode status, string messagePrefix)
    {
        using var answer = await _server.PostAsync(body);
        var message = await answer.Content.ReadAsStringAsync();
        Assert.Equal(status, answer.StatusCode);
        Assert.True(message.StartsWith(messagePrefix, StringComparison.Ordinal), $"{what}: {message}");
        await AssertStillInjects();
    }

    [Fact]
    public async Task Body_over_the_limit_answers_413_without_reading_it_all()
    {
        var huge = """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","padding":" """ + new string('x', 5 * 1024 * 1024) + "\"}}";
        using var answer = await _server.PostAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("admission review larger than 4194304 bytes\n", await answer.Content.ReadAsStringAsync());
        // Without a Content-Length (chunked), the bound holds while reading.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        using var streamed = await _server.PostAsync(new ChunkedContent(chunked));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        await AssertStillInjects();
    }

    public static TheoryData<string, JsonObject, string> RefusedRequests() => new()
    {
        { "a Deployment", Review(request => request["kind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" }),
            "this webhook mutates Pods only: request.kind and request.object must be a v1 Pod" },
        { "no object", Review(request => request.Remove("object")), "this webhook mutates Pods only: request.kind and request.object must be a v1 Pod" },
        { "bad injection value", Review(request => request["object"]!["metadata"]!["annotations"] = new JsonObject { ["kuma.io/sidecar-injection"] = "maybe" }),
            "kuma injection: kuma.io/sidecar-injection: 'maybe' is neither enabled nor disabled" },
        { "bad mesh name", Review(request => request["object"]!["metadata"]!["annotations"] = new JsonObject { ["kuma.io/mesh"] = "Not_A_Mesh" }),
            "kuma injection: kuma.io/mesh 'Not_A_Mesh' is not a valid mesh name" },
        { "annotation of the wrong type", Review(request => request["object"]!["metadata"]!["annotations"] = new JsonObject { ["kuma.io/mesh"] = 7 }),
            "kuma injection: metadata.annotations.kuma.io/mesh is not a string" },
        { "containers not an array", Review(request => request["object"]!["spec"]!["containers"] = "app"), "kuma injection: spec.containers is not an array" },
        { "probe on the probe proxy's port", Review(request => request["object"]!["spec"]!["containers"]![0]!["readinessProbe"] = JsonNode.Parse("""{"httpGet":{"path":"/ready","port":9000}}""")),
            "kuma injection: readinessProbe uses port 9000, which is reserved for kuma-dp's probe endpoint" },
        { "probe naming an undeclared port", Review(request => request["object"]!["spec"]!["containers"]![0]!["livenessProbe"] = JsonNode.Parse("""{"tcpSocket":{"port":"grpc"}}""")),
            "kuma injection: livenessProbe of container app names port 'grpc', which the container does not declare" },
        { "probe port of the wrong type", Review(request => request["object"]!["spec"]!["containers"]![0]!["livenessProbe"] = JsonNode.Parse("""{"timeoutSeconds":"long","tcpSocket":{"port":8080}}""")),
            "kuma injection: malformed pod: " },
    };

    [Theory]
    [MemberData(nameof(RefusedRequests))]
    public async Task Readable_review_of_a_bad_pod_is_denied_with_a_clear_message_and_creates_nothing(string what, JsonObject review, string messagePrefix)
    {
        var response = await _server.ReviewAsync(review);
        Assert.False(response["allowed"]!.GetValue<bool>(), what);
        Assert.Equal(400, response["status"]!["code"]!.GetValue<int>());
        var message = response["status"]!["message"]!.GetValue<string>();
        Assert.True(message.StartsWith(messagePrefix, StringComparison.Ordinal), $"{what}: {message}");
        Assert.Null(response["patch"]);
        Assert.Empty(_server.Cluster.Secrets);
        await AssertStillInjects();
    }

    [Fact]
    public async Task Token_issuer_failure_denies_the_pod_instead_of_admitting_it_half_injected()
    {
        _server.Tokens.Fail = true;
        var response = await _server.ReviewAsync(Review(_ => { }));
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"code":500,"message":"kuma injection failed: control plane unreachable"}"""), response["status"]), response.ToJsonString());
        Assert.Empty(_server.Cluster.Secrets);
        _server.Tokens.Fail = false;
        await AssertStillInjects();
    }

    private async Task AssertStillInjects()
    {
        var injected = await _server.InjectAsync(Pod(), "default", dryRun: true);
        Assert.Equal(["kuma-sidecar", "app"], injected["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
    }

    private static JsonObject Pod() => JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},
         "spec":{"containers":[{"name":"app","image":"example/web:1","ports":[{"containerPort":8080}]}]}}
        """)!.AsObject();

    private static JsonObject Review(Action<JsonObject> change)
    {
        var review = AdmissionReviews.Create(Pod());
        change(review["request"]!.AsObject());
        return review;
    }

    /// <summary>Sends its content without a Content-Length, as a chunked body.</summary>
    private sealed class ChunkedContent(HttpContent inner) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => inner.CopyToAsync(stream);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
