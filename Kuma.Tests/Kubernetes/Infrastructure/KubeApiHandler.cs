using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>The fake API server's HTTP side: Kubernetes' URL layout, list and watch JSON, Status errors.</summary>
internal sealed class KubeApiHandler(KubeObjectStore store)
{
    private sealed record Target(KubeResourceType Type, string? Namespace, string? Name, bool Status);

    /// <summary>Every request as RBAC sees it: <c>group|resource|name|verb</c> (resource with <c>/status</c> for the subresource).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        var target = Parse(context.Request.Path.Value ?? "");
        if (target is null)
        {
            await StatusAsync(context, 404, "NotFound", $"the server could not find the requested resource {context.Request.Path}");
            return;
        }
        var method = context.Request.Method;
        Requests.Enqueue(RbacRequest(context.Request, target));
        switch (method)
        {
            case "GET" when target.Name is null && IsWatch(context.Request):
                await WatchAsync(context, target);
                break;
            case "GET" when target.Name is null:
                await ListAsync(context, target);
                break;
            case "GET":
                await GetAsync(context, target);
                break;
            case "POST" when target.Name is null:
                await CreateAsync(context, target);
                break;
            case "PUT" or "PATCH" when target.Status:
                await WriteStatusAsync(context, target, merge: method == "PATCH");
                break;
            case "PUT":
                await ReplaceAsync(context, target);
                break;
            case "PATCH" when target.Name is not null && context.Request.ContentType?.StartsWith("application/json-patch+json", StringComparison.Ordinal) == true:
                await JsonPatchAsync(context, target);
                break;
            case "DELETE" when target.Name is not null:
                if (store.Delete(target.Type, target.Namespace, target.Name)) await StatusAsync(context, 200, "", "deleted", "Success");
                else await NotFoundAsync(context, target);
                break;
            default:
                await StatusAsync(context, 405, "MethodNotAllowed", $"{method} is not supported here");
                break;
        }
    }

    private static string RbacRequest(HttpRequest request, Target target)
    {
        var verb = request.Method switch
        {
            "GET" when target.Name is null => IsWatch(request) ? "watch" : "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            var other => other.ToLowerInvariant(),
        };
        var group = target.Type.GroupVersion.Contains('/') ? target.Type.GroupVersion[..target.Type.GroupVersion.IndexOf('/')] : "";
        return $"{group}|{target.Type.Plural}{(target.Status ? "/status" : "")}|{target.Name}|{verb}";
    }

    /// <summary><c>/api/v1/...</c> or <c>/apis/group/version/...</c>, then <c>[namespaces/ns/]plural[/name[/status]]</c>.</summary>
    private Target? Parse(string path)
    {
        var segments = path.Trim('/').Split('/');
        int rest;
        if (segments is ["api", "v1", ..]) rest = 2;
        else if (segments is ["apis", _, _, ..]) rest = 3;
        else return null;
        var tail = segments[rest..];
        string? ns = null;
        if (tail is ["namespaces", var n, _, ..])
        {
            ns = n;
            tail = tail[2..];
        }
        if (tail.Length is 0 or > 3 || store.TypeOf(tail[0]) is not { } type) return null;
        if (tail.Length == 3 && tail[2] != "status") return null;
        return new Target(type, ns, tail.Length > 1 ? tail[1] : null, tail.Length == 3);
    }

    private static bool IsWatch(HttpRequest request) => request.Query["watch"].ToString() is "1" or "true";

    private async Task ListAsync(HttpContext context, Target target)
    {
        var (items, revision) = store.List(target.Type, target.Namespace);
        var list = new JsonObject
        {
            ["kind"] = target.Type.Kind + "List",
            ["apiVersion"] = target.Type.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        };
        await JsonAsync(context, 200, list);
    }

    private async Task WatchAsync(HttpContext context, Target target)
    {
        long? from = long.TryParse(context.Request.Query["resourceVersion"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : null;
        var bookmarks = context.Request.Query["allowWatchBookmarks"].ToString() is "true" or "1";
        await store.WatchGate.WaitAsync(context.RequestAborted);
        var (first, live, expired) = store.OpenWatch(target.Type, target.Namespace, from, bookmarks);
        if (expired && store.ExpireWithHttpStatus)
        {
            await JsonAsync(context, 410, KubeObjectStore.ExpiredStatus(from ?? 0));
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var ct = context.RequestAborted;
        try
        {
            foreach (var line in first) await WriteLineAsync(context, line, ct);
            await context.Response.Body.FlushAsync(ct);
            if (live is null) return;
            await foreach (var line in live.ReadAllAsync(ct)) await WriteLineAsync(context, line, ct);
        }
        catch (OperationCanceledException)
        {
            // the client went away
        }
        finally
        {
            if (live is not null) store.ForgetWatch(live);
        }
    }

    private static async Task WriteLineAsync(HttpContext context, string line, CancellationToken ct)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private async Task GetAsync(HttpContext context, Target target)
    {
        if (store.Get(target.Type, target.Namespace, target.Name!) is { } obj) await JsonAsync(context, 200, obj);
        else await NotFoundAsync(context, target);
    }

    private async Task CreateAsync(HttpContext context, Target target)
    {
        if (await BodyAsync(context) is not { } body) return;
        var meta = body["metadata"] as JsonObject ?? new JsonObject();
        body["metadata"] = meta;
        if (target.Namespace is not null) meta["namespace"] = target.Namespace;
        if ((string?)meta["name"] is not { Length: > 0 } name)
        {
            await StatusAsync(context, 422, "Invalid", "metadata.name: Required value");
            return;
        }
        if (store.Get(target.Type, target.Namespace, name) is not null)
        {
            await StatusAsync(context, 409, "AlreadyExists", $"{target.Type.Plural} \"{name}\" already exists");
            return;
        }
        await JsonAsync(context, 201, store.Apply(target.Type, body));
    }

    private async Task ReplaceAsync(HttpContext context, Target target)
    {
        if (await BodyAsync(context) is not { } body) return;
        if (store.Get(target.Type, target.Namespace, target.Name!) is null)
        {
            await NotFoundAsync(context, target);
            return;
        }
        var meta = body["metadata"] as JsonObject ?? new JsonObject();
        body["metadata"] = meta;
        meta["name"] = target.Name;
        if (target.Namespace is not null) meta["namespace"] = target.Namespace;
        await JsonAsync(context, 200, store.Apply(target.Type, body));
    }

    /// <summary>RFC 6902 on a whole object (the webhook's caBundle registration patches its configuration this way).</summary>
    private async Task JsonPatchAsync(HttpContext context, Target target)
    {
        if (store.Get(target.Type, target.Namespace, target.Name!) is not { } current)
        {
            await NotFoundAsync(context, target);
            return;
        }
        JsonArray? operations = null;
        try
        {
            operations = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonArray;
        }
        catch (JsonException)
        {
            // answered below
        }
        if (operations is null)
        {
            await StatusAsync(context, 400, "BadRequest", "the body is not a JSON patch");
            return;
        }
        await JsonAsync(context, 200, store.Apply(target.Type, JsonPatchApplier.Apply(current, operations).AsObject()));
    }

    /// <summary>PUT replaces the status; PATCH (merge patch) sets the status fields it names.</summary>
    private async Task WriteStatusAsync(HttpContext context, Target target, bool merge)
    {
        if (await BodyAsync(context) is not { } body) return;
        var current = store.Get(target.Type, target.Namespace, target.Name!);
        if (current is null)
        {
            await NotFoundAsync(context, target);
            return;
        }
        var status = body["status"]?.DeepClone();
        if (merge && current["status"] is JsonObject existing && status is JsonObject patch)
        {
            var merged = existing.DeepClone().AsObject();
            foreach (var (key, value) in patch) merged[key] = value?.DeepClone();
            status = merged;
        }
        await JsonAsync(context, 200, store.ReplaceStatus(target.Type, target.Namespace, target.Name!, status)!);
    }

    private static async Task<JsonObject?> BodyAsync(HttpContext context)
    {
        try
        {
            if (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) is JsonObject obj) return obj;
        }
        catch (JsonException)
        {
            // answered below
        }
        await StatusAsync(context, 400, "BadRequest", "the body is not a JSON object");
        return null;
    }

    private static Task NotFoundAsync(HttpContext context, Target target) =>
        StatusAsync(context, 404, "NotFound", $"{target.Type.Plural} \"{target.Name}\" not found");

    private static Task StatusAsync(HttpContext context, int code, string reason, string message, string status = "Failure") =>
        JsonAsync(context, code, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = status,
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        });

    private static async Task JsonAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
