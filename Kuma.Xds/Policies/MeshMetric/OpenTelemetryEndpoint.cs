using System.Globalization;

namespace Kuma.Policies.MeshMetric;

/// <summary>A collector's <c>host:port</c> as Kuma reads it: checked, split, and turned into a backend name.</summary>
public static class OpenTelemetryEndpoint
{
    /// <summary>OTLP over gRPC, the port Kuma assumes when the endpoint names none.</summary>
    public const uint DefaultPort = 4317;

    /// <summary>
    /// Whether <paramref name="endpoint"/> splits into a host and a port as Go's <c>net.SplitHostPort</c> splits it
    /// (the check Kuma makes): one colon outside brackets, an IPv6 host in brackets; the port itself is not read.
    /// </summary>
    public static bool IsHostPort(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon < 0) return false;
        if (endpoint.StartsWith('['))
        {
            var end = endpoint.IndexOf(']', StringComparison.Ordinal);
            if (end < 0 || end + 1 != colon) return false;
            return endpoint.IndexOf('[', 1) < 0 && endpoint.IndexOf(']', end + 1) < 0;
        }
        var host = endpoint[..colon];
        return host.IndexOfAny([':', '[', ']']) < 0 && endpoint.IndexOfAny(['[', ']'], colon) < 0;
    }

    /// <summary>The host and port Envoy connects to: the port defaults to 4317, a bare IPv6 address is all host.</summary>
    public static (string Host, uint Port) Parse(string endpoint)
    {
        if (endpoint.Count(c => c == ':') > 1 && !endpoint.Contains('[', StringComparison.Ordinal)) return (endpoint, DefaultPort);
        var colon = endpoint.LastIndexOf(':');
        var bracketEnd = endpoint.LastIndexOf(']');
        var (host, port) = colon > bracketEnd ? (endpoint[..colon], endpoint[(colon + 1)..]) : (endpoint, "");
        host = host.TrimStart('[').TrimEnd(']');
        if (host.Length == 0) return (endpoint, DefaultPort);
        return uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535 ? (host, p) : (host, DefaultPort);
    }

    /// <summary>Kuma's backend name: the endpoint without slashes and with dashes for colons (it names a socket file).</summary>
    public static string BackendName(string endpoint) => endpoint.Replace("/", "", StringComparison.Ordinal).Replace(':', '-');
}
