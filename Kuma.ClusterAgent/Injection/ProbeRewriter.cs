using System.Globalization;
using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// Points the application's probes at kuma-dp, as Kuma's injector does: with mTLS the kubelet cannot reach the app
/// through Envoy, so probes go to the probe proxy (or, when it is off, Envoy's virtual-probes listener) in plain text,
/// with the real port and path in the path: <c>/8080/healthz</c>, <c>/tcp/5432</c>, <c>/grpc/9090</c>.
/// </summary>
internal static class ProbeRewriter
{
    private static readonly string[] ProbeFields = ["livenessProbe", "readinessProbe", "startupProbe"];

    /// <summary>The application probe proxy (port > 0): HTTP, TCP and gRPC probes all become HTTP GETs on it.</summary>
    public static void ToApplicationProbeProxy(IEnumerable<JsonObject> containers, int proxyPort)
    {
        foreach (var (container, field, probe) in Probes(containers))
        {
            var timeoutHeader = probe["timeoutSeconds"]?.GetValue<int>() is > 1 and var timeout
                ? Header("X-Kuma-Probes-Timeout", timeout.ToString(CultureInfo.InvariantCulture))
                : null;
            JsonObject? rewritten = null;
            if (probe["httpGet"] is JsonObject http)
            {
                var port = ResolvePort(container, http["port"], field);
                Reserve(port, proxyPort, field);
                var headers = new JsonArray();
                if (http["httpHeaders"] is JsonArray existing)
                    foreach (var header in existing.OfType<JsonObject>())
                        headers.Add(header["name"]?.GetValue<string>() == "Host" ? Header("X-Kuma-Probes-Host", header["value"]?.GetValue<string>() ?? "") : header.DeepClone());
                if (http["scheme"]?.GetValue<string>() is { Length: > 0 } scheme && scheme != "HTTP") headers.Add(Header("X-Kuma-Probes-Scheme", scheme));
                if (timeoutHeader is not null) headers.Add(timeoutHeader);
                rewritten = HttpGet(proxyPort, $"/{port}{WithSlash(http["path"]?.GetValue<string>())}", headers);
            }
            else if (probe["tcpSocket"] is JsonObject tcp)
            {
                var port = ResolvePort(container, tcp["port"], field);
                Reserve(port, proxyPort, field);
                rewritten = HttpGet(proxyPort, $"/tcp/{port}", timeoutHeader is null ? [] : new JsonArray(timeoutHeader));
            }
            else if (probe["grpc"] is JsonObject grpc)
            {
                var port = grpc["port"]?.GetValue<int>() ?? 0;
                Reserve(port, proxyPort, field);
                var headers = timeoutHeader is null ? new JsonArray() : new JsonArray(timeoutHeader);
                if (grpc["service"]?.GetValue<string>() is { Length: > 0 } service) headers.Add(Header("X-Kuma-Probes-GRPC-Service", service));
                rewritten = HttpGet(proxyPort, $"/grpc/{port}", headers);
            }
            if (rewritten is null) continue;
            probe.Remove("tcpSocket");
            probe.Remove("grpc");
            probe["httpGet"] = rewritten;
        }
    }

    /// <summary>Virtual probes (the probe proxy switched off): only HTTP probes move; their headers stay.</summary>
    public static void ToVirtualProbes(IEnumerable<JsonObject> containers, int virtualPort)
    {
        foreach (var (container, field, probe) in Probes(containers))
        {
            if (probe["httpGet"] is not JsonObject http) continue;
            var port = ResolvePort(container, http["port"], field);
            Reserve(port, virtualPort, field);
            http["port"] = virtualPort;
            http["path"] = $"/{port}{WithSlash(http["path"]?.GetValue<string>())}";
        }
    }

    private static IEnumerable<(JsonObject Container, string Field, JsonObject Probe)> Probes(IEnumerable<JsonObject> containers) =>
        from container in containers
        from field in ProbeFields
        where container[field] is JsonObject
        select (container, field, (JsonObject)container[field]!);

    private static JsonObject HttpGet(int port, string path, JsonArray headers)
    {
        var result = new JsonObject { ["port"] = port, ["path"] = path };
        if (headers.Count > 0) result["httpHeaders"] = headers;
        return result;
    }

    private static JsonObject Header(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static string WithSlash(string? path) => path is null ? "/" : path.StartsWith('/') ? path : "/" + path;

    private static void Reserve(int port, int reserved, string field)
    {
        if (port == reserved)
            throw new InjectionRefusedException($"{field} uses port {port}, which is reserved for kuma-dp's probe endpoint");
    }

    /// <summary>A probe's port as a number: given as one, or named after one of the container's ports.</summary>
    private static int ResolvePort(JsonObject container, JsonNode? port, string field)
    {
        if (port is JsonValue value)
        {
            if (value.TryGetValue<int>(out var number)) return number;
            if (value.TryGetValue<string>(out var name))
            {
                if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out number)) return number;
                if (container["ports"] is JsonArray ports)
                    foreach (var candidate in ports.OfType<JsonObject>())
                        if (candidate["name"]?.GetValue<string>() == name && candidate["containerPort"]?.GetValue<int>() is { } resolved) return resolved;
                throw new InjectionRefusedException($"{field} of container {PodJson.Name(container)} names port '{name}', which the container does not declare");
            }
        }
        throw new InjectionRefusedException($"{field} of container {PodJson.Name(container)} has no usable port");
    }
}
