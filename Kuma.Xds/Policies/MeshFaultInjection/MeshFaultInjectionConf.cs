using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshFaultInjection;

/// <summary>The <c>default</c> block of a MeshFaultInjection entry: faults applied to HTTP traffic.</summary>
public sealed class MeshFaultInjectionConf
{
    public List<FaultInjection>? Http { get; set; }
}

/// <summary>One fault set; each kind present is applied to its own share of requests.</summary>
public sealed class FaultInjection
{
    public AbortFault? Abort { get; set; }
    public DelayFault? Delay { get; set; }
    public ResponseBandwidthFault? ResponseBandwidth { get; set; }
}

public sealed class AbortFault
{
    public int? HttpStatus { get; set; }
    /// <summary>Integer or decimal string, 0 to 100.</summary>
    public JsonNode? Percentage { get; set; }
}

public sealed class DelayFault
{
    /// <summary>A Go-style duration.</summary>
    public string? Value { get; set; }
    public JsonNode? Percentage { get; set; }
}

public sealed class ResponseBandwidthFault
{
    /// <summary>A rate such as 100Mbps (kbps, Mbps or Gbps).</summary>
    public string? Limit { get; set; }
    public JsonNode? Percentage { get; set; }
}
