using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>A MeshOpenTelemetryBackend resource, selected by its labels (a collector of MeshAccessLog, MeshTrace or MeshMetric).</summary>
public sealed class OpenTelemetryBackendRef
{
    public string? Kind { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
}

/// <summary>How Kuma checks an OpenTelemetry collector wherever a policy names one: an endpoint or a backendRef, never both.</summary>
public static class OpenTelemetryCollector
{
    /// <summary>
    /// Adds Kuma's errors for a collector given as <paramref name="endpoint"/> or <paramref name="backendRef"/>.
    /// True when an endpoint was given and passed, so callers that check its form further can go on.
    /// </summary>
    public static bool Check(string? endpoint, OpenTelemetryBackendRef? backendRef, FieldPath path, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        endpoint ??= "";
        if (endpoint.Length > 0 && backendRef is not null)
        {
            errors.Add(path, "openTelemetry must have only one type defined: endpoint, backendRef");
        }
        else if (endpoint.Length == 0 && backendRef is null)
        {
            errors.Add(path, "openTelemetry must have exactly one defined: endpoint, backendRef");
        }
        else if (backendRef is not null)
        {
            var p = path.Field("backendRef");
            if (backendRef.Kind != "MeshOpenTelemetryBackend") errors.Add(p.Field("kind"), "\"kind\" must be one of [\"MeshOpenTelemetryBackend\"]");
            if (backendRef.Labels is not { Count: > 0 }) errors.Add(p, "backendRef must have exactly one defined: labels");
        }
        else if (endpoint.AsSpan().IndexOfAny("/?#") >= 0)
        {
            errors.Add(path.Field("endpoint"), "must be in host:port format, not a URL");
        }
        else
        {
            return true;
        }
        return false;
    }
}
