using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshCircuitBreaker;

/// <summary>The <c>default</c> block of a MeshCircuitBreaker entry.</summary>
public sealed class MeshCircuitBreakerConf
{
    public ConnectionLimits? ConnectionLimits { get; set; }
    public OutlierDetection? OutlierDetection { get; set; }
}

public sealed class ConnectionLimits
{
    public uint? MaxConnections { get; set; }
    public uint? MaxConnectionPools { get; set; }
    public uint? MaxPendingRequests { get; set; }
    public uint? MaxRequests { get; set; }
    public uint? MaxRetries { get; set; }
}

public sealed class OutlierDetection
{
    public bool? Disabled { get; set; }
    public string? Interval { get; set; }
    public string? BaseEjectionTime { get; set; }
    public uint? MaxEjectionPercent { get; set; }
    public bool? SplitExternalAndLocalErrors { get; set; }
    public Detectors? Detectors { get; set; }
    /// <summary>Integer or decimal string percentage, as Kuma's IntOrString.</summary>
    public JsonNode? HealthyPanicThreshold { get; set; }
}

public sealed class Detectors
{
    public ConsecutiveDetector? TotalFailures { get; set; }
    public ConsecutiveDetector? GatewayFailures { get; set; }
    public ConsecutiveDetector? LocalOriginFailures { get; set; }
    public SuccessRateDetector? SuccessRate { get; set; }
    public FailurePercentageDetector? FailurePercentage { get; set; }
}

public sealed class ConsecutiveDetector
{
    public uint? Consecutive { get; set; }
}

public sealed class SuccessRateDetector
{
    public uint? MinimumHosts { get; set; }
    public uint? RequestVolume { get; set; }
    /// <summary>Integer or decimal string, as Kuma's IntOrString.</summary>
    public JsonNode? StandardDeviationFactor { get; set; }
}

public sealed class FailurePercentageDetector
{
    public uint? RequestVolume { get; set; }
    public uint? MinimumHosts { get; set; }
    public uint? Threshold { get; set; }
}
