using System.Text.Json;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// The diagnostics port's answers. <c>/healthy</c>: the process runs (503 once it is stopping). <c>/ready</c>:
/// every readiness check passed, else 503 naming the failing ones. <c>/metrics</c>: the Prometheus scrape.
/// </summary>
public sealed class DiagnosticsEndpoints(Readiness readiness, MetricsExporter metrics, IHostApplicationLifetime lifetime)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        switch (context.Request.Path.Value)
        {
            case "/healthy":
                await WriteHealthyAsync(context);
                return;
            case "/ready":
                await WriteReadyAsync(context);
                return;
            case "/metrics":
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }
    }

    private async Task WriteHealthyAsync(HttpContext context)
    {
        var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        context.Response.StatusCode = stopping ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(stopping ? "shutting down\n" : "ok\n", context.RequestAborted);
    }

    private async Task WriteReadyAsync(HttpContext context)
    {
        var checks = lifetime.ApplicationStopping.IsCancellationRequested
            ? [new CheckResult("process", "shutting down")]
            : await readiness.CheckAsync();
        var failing = checks.Where(c => c.Problem is not null).ToList();
        context.Response.StatusCode = failing.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        var body = new ReadyAnswer(failing.Count == 0 ? "ready" : "not ready", checks.ToDictionary(c => c.Name, c => c.Problem ?? "ok"));
        await JsonSerializer.SerializeAsync(context.Response.Body, body, ReadyJson.Options, context.RequestAborted);
    }

    private sealed record ReadyAnswer(string Status, Dictionary<string, string> Checks);

    private static class ReadyJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}
