using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshHealthCheck;

/// <summary>The <c>default</c> block of a MeshHealthCheck <c>to</c> entry: timing shared by every check, then one check per protocol.</summary>
public sealed class MeshHealthCheckConf
{
    public string? Interval { get; set; }
    public string? Timeout { get; set; }
    // Signed, as in Kuma: a negative threshold binds and validation refuses it.
    public int? UnhealthyThreshold { get; set; }
    public int? HealthyThreshold { get; set; }
    public string? InitialJitter { get; set; }
    public string? IntervalJitter { get; set; }
    public int? IntervalJitterPercent { get; set; }
    /// <summary>Deprecated in Kuma (moved to MeshCircuitBreaker) but still applied. Integer or decimal string.</summary>
    public JsonNode? HealthyPanicThreshold { get; set; }
    public bool? FailTrafficOnPanic { get; set; }
    public string? EventLogPath { get; set; }
    public bool? AlwaysLogHealthCheckFailures { get; set; }
    public string? NoTrafficInterval { get; set; }
    public TcpHealthCheck? Tcp { get; set; }
    public HttpHealthCheck? Http { get; set; }
    public GrpcHealthCheck? Grpc { get; set; }
    public bool? ReuseConnection { get; set; }
}

public sealed class TcpHealthCheck
{
    public bool? Disabled { get; set; }
    public string? Send { get; set; }
    public List<string>? Receive { get; set; }
}

public sealed class HttpHealthCheck
{
    public bool? Disabled { get; set; }
    public string? Path { get; set; }
    public HeaderModifier? RequestHeadersToAdd { get; set; }
    public List<int>? ExpectedStatuses { get; set; }
}

public sealed class GrpcHealthCheck
{
    public bool? Disabled { get; set; }
    public string? ServiceName { get; set; }
    public string? Authority { get; set; }
}

public sealed class HeaderModifier
{
    public List<HeaderKeyValue>? Set { get; set; }
    public List<HeaderKeyValue>? Add { get; set; }
}

public sealed class HeaderKeyValue
{
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}
