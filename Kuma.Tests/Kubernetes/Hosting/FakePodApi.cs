using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Kuma.Tests.Kubernetes.Hosting;

/// <summary>
/// The slice of a Kubernetes API server Orleans' Kubernetes hosting uses: read one pod, merge-patch its labels, list the
/// namespace's pods by label (a watch is held open with nothing to report), delete a pod. Every request is recorded.
/// </summary>
internal sealed class FakePodApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _labels = new(StringComparer.Ordinal);
    private readonly string _namespace;

    public ConcurrentQueue<string> Requests { get; } = new();
    public Uri Url => new(_app.Urls.Single());

    private FakePodApi(WebApplication app, string @namespace)
    {
        _app = app;
        _namespace = @namespace;
    }

    public static async Task<FakePodApi> StartAsync(string @namespace, params string[] pods)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var api = new FakePodApi(builder.Build(), @namespace);
        foreach (var pod in pods) api._labels[pod] = [];
        api._app.Run(api.HandleAsync);
        await api._app.StartAsync();
        return api;
    }

    /// <summary>The labels a pod carries now.</summary>
    public JsonObject LabelsOf(string pod)
    {
        var labels = _labels[pod];
        lock (labels) return (JsonObject)labels.DeepClone();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        var prefix = $"/api/v1/namespaces/{_namespace}/pods";
        var path = request.Path.Value ?? "";
        if (path == prefix && request.Method == "GET")
        {
            if (request.Query["watch"] == "true")
            {
                // Nothing changes: the stream stays open until the silo stops watching.
                context.Response.ContentType = "application/json";
                await context.Response.Body.FlushAsync(context.RequestAborted);
                try { await Task.Delay(Timeout.Infinite, context.RequestAborted); } catch (OperationCanceledException) { }
                return;
            }
            var items = new JsonArray([.. _labels.Keys.Select(Pod)]);
            await WriteAsync(context, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "PodList", ["metadata"] = new JsonObject(), ["items"] = items });
            return;
        }
        var name = path.StartsWith(prefix + "/", StringComparison.Ordinal) ? path[(prefix.Length + 1)..] : null;
        if (name is null || !_labels.TryGetValue(name, out var labels))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        switch (request.Method)
        {
            case "GET":
                await WriteAsync(context, Pod(name));
                break;
            case "PATCH":
                var patch = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync(context.RequestAborted))!;
                lock (labels)
                {
                    foreach (var (key, value) in patch["metadata"]?["labels"]?.AsObject() ?? [])
                        labels[key] = value?.DeepClone();
                }
                await WriteAsync(context, Pod(name));
                break;
            case "DELETE":
                _labels.TryRemove(name, out _);
                await WriteAsync(context, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Status", ["status"] = "Success" });
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                break;
        }
    }

    private JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = _namespace, ["labels"] = LabelsOf(name) },
    };

    private static Task WriteAsync(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
