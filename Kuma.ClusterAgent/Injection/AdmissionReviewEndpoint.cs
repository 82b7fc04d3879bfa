using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// <c>POST /inject</c>: a mutating admission webhook speaking AdmissionReview v1. A body that is not a readable review
/// (too large, not JSON, too deep, wrong kind or version, no request uid) answers HTTP 400/413 with a plain message:
/// without a uid there is nothing the API server could match a response to. Once the uid is known, every problem
/// (not a Pod, a bad annotation, the token issuer down) answers a review with <c>allowed: false</c> and a status whose
/// message the API server shows to whoever created the pod, so a pod is never admitted half-injected.
/// </summary>
internal sealed class AdmissionReviewEndpoint(PodInjector injector, InjectionOptions options, ILogger<AdmissionReviewEndpoint> logger)
{
    public const string Path = "/inject";
    private const string ApiVersion = "admission.k8s.io/v1";
    private const int MaxDepth = 64;

    public async Task HandleAsync(HttpContext context)
    {
        var body = await ReadBoundedAsync(context.Request, options.MaxReviewBytes, context.RequestAborted);
        if (body is null)
        {
            await Reject(context, StatusCodes.Status413PayloadTooLarge, $"admission review larger than {options.MaxReviewBytes} bytes");
            return;
        }
        JsonObject review;
        try
        {
            review = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }) as JsonObject
                ?? throw new JsonException("the body is not a JSON object");
        }
        catch (JsonException e)
        {
            await Reject(context, StatusCodes.Status400BadRequest, $"not an AdmissionReview: {FirstLine(e.Message)}");
            return;
        }
        if (Text(review, "kind") != "AdmissionReview" || Text(review, "apiVersion") != ApiVersion)
        {
            await Reject(context, StatusCodes.Status400BadRequest, $"expected kind AdmissionReview of apiVersion {ApiVersion}");
            return;
        }
        if (review["request"] is not JsonObject request || Text(request, "uid") is not { Length: > 0 } uid)
        {
            await Reject(context, StatusCodes.Status400BadRequest, "the AdmissionReview has no request.uid");
            return;
        }
        var response = await RespondAsync(request, uid, context.RequestAborted);
        var answer = new JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = "AdmissionReview", ["response"] = response };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    }

    private async Task<JsonObject> RespondAsync(JsonObject request, string uid, CancellationToken cancellationToken)
    {
        var @namespace = Text(request, "namespace") ?? "default";
        var podName = Text(request, "name") ?? Text(request["object"]?["metadata"], "name") ?? Text(request["object"]?["metadata"], "generateName") ?? "?";
        if (Text(request["kind"], "kind") != "Pod" || Text(request["kind"], "group") is { Length: > 0 } || request["object"] is not JsonObject pod
            || Text(pod, "kind") is { } kind && kind != "Pod")
            return Denied(uid, StatusCodes.Status400BadRequest, "this webhook mutates Pods only: request.kind and request.object must be a v1 Pod");
        if (Text(request, "operation") is { } operation && operation != "CREATE")
        {
            InjectionLog.Skipped(logger, @namespace, podName, $"operation {operation}");
            return Allowed(uid);
        }
        try
        {
            var dryRun = request["dryRun"] is JsonValue flag && flag.TryGetValue<bool>(out var isDryRun) && isDryRun;
            var result = await injector.InjectAsync(pod, @namespace, dryRun, cancellationToken);
            if (result.Patch.Count == 0)
            {
                InjectionLog.Skipped(logger, @namespace, podName, result.Reason);
                return Allowed(uid);
            }
            InjectionLog.Injected(logger, result.Kind, @namespace, podName, result.Mesh ?? "");
            var response = Allowed(uid);
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(result.Patch.ToJsonString()));
            return response;
        }
        catch (InjectionRefusedException e)
        {
            InjectionLog.Refused(logger, @namespace, podName, e.Message);
            return Denied(uid, StatusCodes.Status400BadRequest, $"kuma injection: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A field of an unexpected JSON type (e.g. a string where Kubernetes has a number) surfaces here.
            InjectionLog.Refused(logger, @namespace, podName, e.Message);
            return Denied(uid, StatusCodes.Status400BadRequest, $"kuma injection: malformed pod: {e.Message}");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            InjectionLog.Failed(logger, @namespace, podName, e.Message);
            return Denied(uid, StatusCodes.Status500InternalServerError, $"kuma injection failed: {e.Message}");
        }
    }

    private static JsonObject Allowed(string uid) => new() { ["uid"] = uid, ["allowed"] = true };

    private static JsonObject Denied(string uid, int code, string message) => new()
    {
        ["uid"] = uid,
        ["allowed"] = false,
        ["status"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    private async Task Reject(HttpContext context, int statusCode, string message)
    {
        InjectionLog.BadReview(logger, message);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    /// <summary>The body, or null once it passes the limit (read no further: a huge body costs at most the limit).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static string? Text(JsonNode? node, string field) =>
        node is JsonObject o && o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string FirstLine(string message) => message.Split('\n')[0];
}
