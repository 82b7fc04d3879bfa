using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// What a proxy says about itself in its xDS node's metadata that its Dataplane does not: kuma-dp reports where it
/// put the certificate and key for a Prometheus listener served over TLS (<c>metricsCertPath</c>,
/// <c>metricsKeyPath</c>, from its bootstrap request's <c>metricsResources</c>) and its work directory, where its
/// unix sockets are (<c>workdir</c>). Part of a proxy's config inputs, so two streams of one Dataplane that report
/// different facts get configs of their own.
/// </summary>
public sealed record ProxyNode(string MetricsCertPath, string MetricsKeyPath, string WorkDir = "")
{
    public const string MetricsCertPathKey = "metricsCertPath";
    public const string MetricsKeyPathKey = "metricsKeyPath";
    public const string WorkDirKey = "workdir";

    /// <summary>
    /// The work directory assumed when the node names none (an inspection has no stream; a client other than kuma-dp):
    /// what kuma-dp uses when told <c>--work-dir /tmp</c>, as Kuma's goldens do. kuma-dp left to itself makes a fresh
    /// <c>/tmp/kuma-dp-*</c> directory and reports it.
    /// </summary>
    public const string DefaultWorkDir = "/tmp";

    /// <summary>A node that reported nothing (and what inspection endpoints, which have no stream, build with).</summary>
    public static ProxyNode None { get; } = new("", "");

    /// <summary>
    /// The path of one of kuma-dp's unix sockets in its work directory, cut as Kuma cuts it to stay within the
    /// 104-byte limit of socket paths.
    /// </summary>
    public string KumaDpSocket(string name)
    {
        var directory = WorkDir.Length > 0 ? WorkDir : DefaultWorkDir;
        var path = directory.TrimEnd('/') + "/" + name;
        return path[..Math.Min(path.Length, 98)] + ".sock";
    }

    /// <summary>Both paths of the metrics certificate are known, so a ProvidedTLS scrape listener can serve them.</summary>
    public bool HasMetricsCertificate => MetricsCertPath.Length > 0 && MetricsKeyPath.Length > 0;

    /// <summary>The facts in an Envoy node's metadata; fields that are missing or not strings count as empty.</summary>
    public static ProxyNode Of(Struct? metadata)
    {
        var node = new ProxyNode(Text(metadata, MetricsCertPathKey), Text(metadata, MetricsKeyPathKey), Text(metadata, WorkDirKey))
        {
            DnsPort = PortField(metadata, DnsPortKey),
            Admin = AdminFacts.Of(metadata),
        };
        return node == None ? None : node;
    }

    private static string Text(Struct? metadata, string key) =>
        metadata?.Fields.TryGetValue(key, out var value) == true && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : "";

    /// <summary>Kuma's key for the port kuma-dp's DNS redirection sends queries to (a decimal string), when it redirects DNS.</summary>
    public const string DnsPortKey = "dataplane.dns.port";

    /// <summary>Where Envoy's DNS filter listens for this proxy (<see cref="DnsPortKey"/>); 0 when the proxy reports none.</summary>
    public uint DnsPort { get; init; }

    /// <summary>A port Kuma reads from metadata: a decimal string (a number is taken too); anything else counts as none.</summary>
    private static uint PortField(Struct? metadata, string key) =>
        metadata?.Fields.TryGetValue(key, out var value) != true ? 0
        : value!.KindCase == Value.KindOneofCase.NumberValue && value.NumberValue is > 0 and <= 65535 ? (uint)value.NumberValue
        : uint.TryParse(value.StringValue, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port <= 65535 ? port : 0;

    /// <summary>Where kuma-dp put Envoy's admin API and its own readiness reporter (see <see cref="AdminFacts"/>).</summary>
    public AdminFacts Admin { get; init; } = AdminFacts.None;
}
