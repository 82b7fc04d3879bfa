using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>The <c>default</c> block of a MeshAccessLog entry: where the proxy writes a line for each request or connection.</summary>
public sealed class MeshAccessLogConf
{
    /// <summary>Replaced as a whole when confs merge; an empty list turns logging off for what it covers.</summary>
    public List<AccessLogBackend>? Backends { get; set; }
}

/// <summary>The backend types Kuma knows, spelled as in the spec.</summary>
public static class BackendTypes
{
    public const string File = "File";
    public const string Tcp = "Tcp";
    public const string OpenTelemetry = "OpenTelemetry";
}

public sealed class AccessLogBackend
{
    /// <summary>One of <see cref="BackendTypes"/>; the field of the same name holds its settings.</summary>
    public string? Type { get; set; }

    public TcpBackend? Tcp { get; set; }
    public FileBackend? File { get; set; }
    public OtelBackend? OpenTelemetry { get; set; }
}

/// <summary>Lines sent to a TCP collector (through kuma-dp, which owns the connection).</summary>
public sealed class TcpBackend
{
    public AccessLogFormat? Format { get; set; }

    /// <summary>Where kuma-dp sends the lines, e.g. <c>127.0.0.1:5000</c>.</summary>
    public string? Address { get; set; }
}

public sealed class FileBackend
{
    public AccessLogFormat? Format { get; set; }
    public string? Path { get; set; }
}

/// <summary>Log records pushed to an OpenTelemetry collector over gRPC.</summary>
public sealed class OtelBackend
{
    /// <summary>Static attribute names; values may hold placeholders.</summary>
    public List<OtelAttribute>? Attributes { get; set; }

    /// <summary>An OTLP <c>AnyValue</c> as JSON, or anything else, taken as its raw text.</summary>
    public JsonNode? Body { get; set; }

    /// <summary><c>host</c> or <c>host:port</c> (4317 when left out). Deprecated in Kuma in favour of <see cref="BackendRef"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>A MeshOpenTelemetryBackend selected by labels.</summary>
    public OpenTelemetryBackendRef? BackendRef { get; set; }
}


public sealed class OtelAttribute
{
    public string? Key { get; set; }
    public string? Value { get; set; }
}

/// <summary>The format types Kuma knows, spelled as in the spec.</summary>
public static class FormatTypes
{
    public const string Plain = "Plain";
    public const string Json = "Json";
}

public sealed class AccessLogFormat
{
    /// <summary>One of <see cref="FormatTypes"/>.</summary>
    public string? Type { get; set; }

    public string? Plain { get; set; }
    public List<JsonField>? Json { get; set; }

    public bool? OmitEmptyValues { get; set; }
}

public sealed class JsonField
{
    public string? Key { get; set; }
    public string? Value { get; set; }
}
