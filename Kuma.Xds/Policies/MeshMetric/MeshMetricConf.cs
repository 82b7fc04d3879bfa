namespace Kuma.Policies.MeshMetric;

/// <summary>
/// A MeshMetric spec: one top-level <c>default</c> for the proxies its targetRef selects (no <c>to</c> or
/// <c>from</c>); the defaults of every policy selecting a proxy merge into one.
/// </summary>
public sealed class MeshMetricSpec
{
    public TargetRef? TargetRef { get; set; }
    public MeshMetricConf? Default { get; set; }
}

/// <summary>What a proxy publishes (its own metrics, its applications') and where to.</summary>
public sealed class MeshMetricConf
{
    public MetricsSidecar? Sidecar { get; set; }
    public List<MetricsApplication>? Applications { get; set; }
    public List<MetricsBackend>? Backends { get; set; }
}

public sealed class MetricsSidecar
{
    public MetricsProfiles? Profiles { get; set; }
    public bool? IncludeUnused { get; set; }
}

public sealed class MetricsProfiles
{
    /// <summary>Accumulates over merged policies (Kuma merges fields named <c>append…</c> by concatenation).</summary>
    public List<MetricsProfile>? AppendProfiles { get; set; }
    public List<MetricsSelector>? Exclude { get; set; }
    public List<MetricsSelector>? Include { get; set; }
}

public sealed class MetricsProfile
{
    /// <summary>All, Basic or None.</summary>
    public string? Name { get; set; }
}

public sealed class MetricsSelector
{
    /// <summary>Prefix, Regex, Exact or Contains.</summary>
    public string? Type { get; set; }
    public string? Match { get; set; }
}

/// <summary>An application next to the proxy whose own metrics kuma-dp scrapes and publishes with the proxy's.</summary>
public sealed class MetricsApplication
{
    public string? Name { get; set; }
    /// <summary>Kuma's schema default: <c>/metrics</c>.</summary>
    public string? Path { get; set; }
    public string? Address { get; set; }
    // Wide enough that an out-of-range port binds and validation names it, as Kuma's does.
    public long? Port { get; set; }
}

public sealed class MetricsBackend
{
    /// <summary>Prometheus or OpenTelemetry.</summary>
    public string? Type { get; set; }
    public PrometheusMetricsBackend? Prometheus { get; set; }
    public OpenTelemetryMetricsBackend? OpenTelemetry { get; set; }
}

public sealed class PrometheusMetricsBackend
{
    /// <summary>Names the listener; <c>default-backend</c> when unset.</summary>
    public string? ClientId { get; set; }
    /// <summary>Kuma's schema default: 5670.</summary>
    public long? Port { get; set; }
    /// <summary>Kuma's schema default: <c>/metrics</c>.</summary>
    public string? Path { get; set; }
    public PrometheusTls? Tls { get; set; }
}

public sealed class PrometheusTls
{
    /// <summary>Disabled (Kuma's schema default), ProvidedTLS or ActiveMTLSBackend.</summary>
    public string? Mode { get; set; }
}

public sealed class OpenTelemetryMetricsBackend
{
    /// <summary>The collector's <c>host:port</c> (deprecated in Kuma in favour of <see cref="BackendRef"/>).</summary>
    public string? Endpoint { get; set; }
    public OpenTelemetryBackendRef? BackendRef { get; set; }
    /// <summary>How often kuma-dp pushes; one minute when unset.</summary>
    public string? RefreshInterval { get; set; }
}

