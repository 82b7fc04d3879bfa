using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Kuma.Gateway.Dp;

/// <summary>
/// The body kuma-dp posts to <c>/bootstrap</c>, field for field as Kuma's bootstrap request type names them. Fields
/// kuma-dp sends that this control plane has no use for are still read, so a malformed value is refused as Kuma
/// refuses it (400) rather than ignored.
/// </summary>
public sealed record BootstrapRequest
{
    [JsonPropertyName("mesh")] public string Mesh { get; init; } = "";
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("proxyType")] public string ProxyType { get; init; } = "";
    [JsonPropertyName("dataplaneToken")] public string DataplaneToken { get; init; } = "";
    [JsonPropertyName("dataplaneTokenPath")] public string DataplaneTokenPath { get; init; } = "";
    [JsonPropertyName("dataplaneResource")] public string DataplaneResource { get; init; } = "";
    [JsonPropertyName("version")] public BootstrapVersion Version { get; init; } = new();
    /// <summary>The CA kuma-dp verifies the control plane with (its <c>--ca-cert-file</c>), PEM.</summary>
    [JsonPropertyName("caCert")] public string CaCert { get; init; } = "";
    [JsonPropertyName("dynamicMetadata")] public Dictionary<string, string>? DynamicMetadata { get; init; }
    [JsonPropertyName("otelEnv")] public JsonObject? OtelEnv { get; init; }
    [JsonPropertyName("dnsPort")] public uint DnsPort { get; init; }
    [JsonPropertyName("readinessPort")] public uint ReadinessPort { get; init; }
    /// <summary>
    /// Whether kuma-dp proxies the application's probes. The wire name says the opposite of what the value means; Kuma
    /// keeps it that way so that mixed versions agree, and so must anything that answers kuma-dp.
    /// </summary>
    [JsonPropertyName("appProbeProxyDisabled")] public bool AppProbeProxyEnabled { get; init; }
    [JsonPropertyName("operatingSystem")] public string OperatingSystem { get; init; } = "";
    [JsonPropertyName("features")] public List<string>? Features { get; init; }
    [JsonPropertyName("resources")] public BootstrapProxyResources Resources { get; init; } = new();
    [JsonPropertyName("workdir")] public string Workdir { get; init; } = "";
    [JsonPropertyName("metricsResources")] public BootstrapMetricsResources MetricsResources { get; init; } = new();
    [JsonPropertyName("systemCaPath")] public string SystemCaPath { get; init; } = "";
    /// <summary>kuma-dp's transparent-proxy settings, passed on to the proxy's node metadata as they came.</summary>
    [JsonPropertyName("dataplaneConfig")] public JsonObject? TransparentProxy { get; init; }
    [JsonPropertyName("ipv6Enabled")] public bool IPv6Enabled { get; init; }
    [JsonPropertyName("spireResources")] public BootstrapSpireResources SpireResources { get; init; } = new();

    private static readonly JsonSerializerOptions Options = new()
    {
        // kuma-dp is written in Go, whose JSON decoder matches field names without regard to case.
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.Strict,
        // A null where a string or object belongs is refused (400) rather than left to fail later.
        RespectNullableAnnotations = true,
    };

    /// <summary>The request in <paramref name="body"/>; a field of the wrong type raises <see cref="JsonException"/>.</summary>
    public static BootstrapRequest From(JsonObject body) =>
        body.Deserialize<BootstrapRequest>(Options) ?? throw new JsonException("the request is empty");

    /// <summary>The features kuma-dp announced, each once, in the order it sent them.</summary>
    public IReadOnlyList<string> FeatureSet => (Features ?? []).Distinct(StringComparer.Ordinal).ToList();

    public bool HasFeature(string feature) => Features?.Contains(feature, StringComparer.Ordinal) == true;
}

public sealed record BootstrapVersion
{
    [JsonPropertyName("kumaDp")] public KumaDpVersion KumaDp { get; init; } = new();
    [JsonPropertyName("envoy")] public EnvoyVersion Envoy { get; init; } = new();
}

public sealed record KumaDpVersion
{
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("gitTag")] public string GitTag { get; init; } = "";
    [JsonPropertyName("gitCommit")] public string GitCommit { get; init; } = "";
    [JsonPropertyName("buildDate")] public string BuildDate { get; init; } = "";
}

public sealed record EnvoyVersion
{
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("build")] public string Build { get; init; } = "";
    [JsonPropertyName("kumaDpCompatible")] public bool KumaDpCompatible { get; init; }
}

public sealed record BootstrapProxyResources
{
    [JsonPropertyName("maxHeapSizeBytes")] public ulong MaxHeapSizeBytes { get; init; }
}

public sealed record BootstrapMetricsResources
{
    [JsonPropertyName("certPath")] public string CertPath { get; init; } = "";
    [JsonPropertyName("keyPath")] public string KeyPath { get; init; } = "";
}

public sealed record BootstrapSpireResources
{
    [JsonPropertyName("socketPath")] public string SocketPath { get; init; } = "";
}
