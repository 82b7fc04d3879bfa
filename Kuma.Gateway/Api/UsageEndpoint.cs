using Kuma.Diagnostics;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>
/// <c>GET [/tenants/{tenant}]/usage?window=1h</c>: a tenant's usage for billing, summed over every node of the
/// cluster. The admin reads any tenant's; a tenant's own users read theirs. The window is 1 minute to 24 hours.
/// </summary>
public sealed class UsageEndpoint(IGrainFactory grains)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(1);
    private static readonly TimeSpan MinWindow = TimeSpan.FromMinutes(1);

    public async Task HandleAsync(HttpContext context, string tenant)
    {
        ApiDispatcher.RequireMethod(context, HttpMethods.Get);
        var windowText = context.Request.Query["window"].ToString();
        var window = ParseWindow(windowText);
        var usage = await grains.GetGrain<ITenantUsageGrain>(tenant).Get(window);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("tenant", tenant);
            w.WriteString("window", windowText.Length == 0 ? "1h" : windowText);
            w.WriteString("from", usage.From.UtcDateTime);
            w.WriteString("to", usage.To.UtcDateTime);
            w.WriteNumber("meshes", usage.Meshes);
            w.WriteNumber("dataplanes", usage.Dataplanes);
            w.WriteNumber("connectedProxies", usage.ConnectedProxies);
            w.WriteNumber("apiCalls", usage.ApiCalls);
            w.WriteNumber("configPushes", usage.ConfigPushes);
            w.WriteEndObject();
        });
    }

    private static TimeSpan ParseWindow(string text)
    {
        if (text.Length == 0) return DefaultWindow;
        if (Durations.TryParse(text, out var window) && window >= MinWindow && window <= ITenantUsageGrain.Retention) return window;
        throw ApiException.BadRequest("invalid query parameter window", [new FieldError("window", "must be a duration from 1m to 24h, e.g. 1h")]);
    }
}
