using System.Text.Json;
using Kuma.Configuration;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// One line per event on the console, UTC timestamps, logger scopes included (a DP stream's scope names its
/// tenant, mesh and dataplane). <c>KUMA_LOG_FORMAT=json</c> writes each event as one JSON object instead, its
/// scopes and message fields as properties; the default, <c>text</c>, is the console's single-line format.
/// </summary>
public static class LogFormat
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static void Configure(ILoggingBuilder logging, KumaSettings settings)
    {
        var format = settings.GetString("KUMA_LOG_FORMAT", "text").ToLowerInvariant();
        logging.ClearProviders();
        // Trace and span ids on every line are noise without a tracing backend to follow them into.
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);
        switch (format)
        {
            case "text":
                logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.IncludeScopes = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = Timestamp;
                });
                break;
            case "json":
                logging.AddJsonConsole(o =>
                {
                    o.IncludeScopes = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = Timestamp.TrimEnd();
                    o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                });
                break;
            default:
                throw new KumaConfigurationException($"KUMA_LOG_FORMAT must be text or json, got '{format}'");
        }
        // gRPC reports every stream that ends with a status (a proxy going away, UNAVAILABLE on shutdown) at
        // Information with its stack; the stream's own lines say what happened.
        logging.AddFilter("Grpc", LogLevel.Warning);
    }
}

/// <summary>The scope of a DP stream's lines: <c>tenant=… mesh=… dataplane=…</c> in text, three properties in JSON.</summary>
public sealed class DpLogScope(string tenant, string mesh, string dataplane) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _fields = [new("tenant", tenant), new("mesh", mesh), new("dataplane", dataplane)];

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public int Count => _fields.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _fields.GetEnumerator();

    public override string ToString() => $"tenant={_fields[0].Value} mesh={_fields[1].Value} dataplane={_fields[2].Value}";
}
