using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// What a proxy says about itself in its xDS node's metadata that its Dataplane does not: kuma-dp reports where it
/// put the certificate and key for a Prometheus listener served over TLS (<c>metricsCertPath</c>,
/// <c>metricsKeyPath</c>, from its bootstrap request's <c>metricsResources</c>). Part of a proxy's config inputs,
/// so two streams of one Dataplane that report different paths get configs of their own.
/// </summary>
public sealed record ProxyNode(string MetricsCertPath, string MetricsKeyPath)
{
    public const string MetricsCertPathKey = "metricsCertPath";
    public const string MetricsKeyPathKey = "metricsKeyPath";

    /// <summary>A node that reported nothing (and what inspection endpoints, which have no stream, build with).</summary>
    public static ProxyNode None { get; } = new("", "");

    /// <summary>Both paths of the metrics certificate are known, so a ProvidedTLS scrape listener can serve them.</summary>
    public bool HasMetricsCertificate => MetricsCertPath.Length > 0 && MetricsKeyPath.Length > 0;

    /// <summary>The facts in an Envoy node's metadata; fields that are missing or not strings count as empty.</summary>
    public static ProxyNode Of(Struct? metadata)
    {
        var cert = Text(metadata, MetricsCertPathKey);
        var key = Text(metadata, MetricsKeyPathKey);
        return cert.Length == 0 && key.Length == 0 ? None : new ProxyNode(cert, key);
    }

    private static string Text(Struct? metadata, string key) =>
        metadata?.Fields.TryGetValue(key, out var value) == true && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : "";
}
