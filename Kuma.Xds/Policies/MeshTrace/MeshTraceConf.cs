using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshTrace;

/// <summary>
/// A MeshTrace spec: one top-level <c>default</c> for the proxies its targetRef selects (no <c>to</c>, <c>from</c>
/// or <c>rules</c>); the selected policies' defaults merge in policy order.
/// </summary>
public sealed class MeshTraceSpec
{
    public TargetRef? TargetRef { get; set; }
    public MeshTraceConf? Default { get; set; }
}

/// <summary>Where spans go, which requests are traced, and the tags spans carry.</summary>
public sealed class MeshTraceConf
{
    /// <summary>At most one backend (Envoy has one tracer per connection manager); an empty list traces nothing.</summary>
    public List<TraceBackend>? Backends { get; set; }
    public TraceSampling? Sampling { get; set; }
    public List<TraceTag>? Tags { get; set; }
}

/// <summary>One collector, of the kind <see cref="Type"/> names; only that kind's block counts.</summary>
public sealed class TraceBackend
{
    /// <summary><c>Zipkin</c>, <c>Datadog</c> or <c>OpenTelemetry</c>.</summary>
    public string? Type { get; set; }
    public ZipkinBackend? Zipkin { get; set; }
    public DatadogBackend? Datadog { get; set; }
    public OpenTelemetryBackend? OpenTelemetry { get; set; }
}

public sealed class ZipkinBackend
{
    public string? Url { get; set; }

    /// <summary>Kuma's schema default: false.</summary>
    public bool? TraceId128bit { get; set; }

    /// <summary><c>httpJson</c> (Kuma's schema default) or <c>httpProto</c>.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Kuma's schema default: true.</summary>
    public bool? SharedSpanContext { get; set; }
}

public sealed class DatadogBackend
{
    /// <summary>Scheme, host and port only.</summary>
    public string? Url { get; set; }

    /// <summary>Names spans' service after direction and destination (<c>web_INBOUND</c>, <c>web_OUTBOUND_db</c>). Default false.</summary>
    public bool? SplitService { get; set; }
}

public sealed class OpenTelemetryBackend
{
    /// <summary>The collector's <c>host:port</c> (gRPC).</summary>
    public string? Endpoint { get; set; }

    /// <summary>A MeshOpenTelemetryBackend by labels; validated as Kuma does, not resolved here (no such resource type yet).</summary>
    public OpenTelemetryBackendRef? BackendRef { get; set; }
}


/// <summary>Percentages (int, or a decimal as a string) of requests traced; each absent one is Envoy's 100.</summary>
public sealed class TraceSampling
{
    public JsonNode? Overall { get; set; }
    public JsonNode? Client { get; set; }
    public JsonNode? Random { get; set; }
}

/// <summary>A span tag: a literal value, or a request header's value (with a fallback).</summary>
public sealed class TraceTag
{
    public string? Name { get; set; }
    public string? Literal { get; set; }
    public TraceHeaderTag? Header { get; set; }
}

public sealed class TraceHeaderTag
{
    public string? Name { get; set; }
    public string? Default { get; set; }
}
