using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// What kuma-dp reports in its node metadata about the local endpoints health checkers and the control plane reach
/// through the sidecar: Envoy's admin API (<c>dataplane.admin.port</c>, <c>dataplane.admin.address</c>,
/// <c>dataplane.admin.socketPath</c>), kuma-dp's readiness reporter (<c>dataplane.readinessReporter.port</c>, or its
/// unix socket when the node lists <c>feature-readiness-unix-socket</c>), whether kuma-dp proxies application probes
/// itself (<c>dataplane.appProbeProxy.enabled</c>, which makes virtual probes unnecessary) and whether the node
/// speaks IPv6 (<c>ipv6Enabled</c>; a node that says nothing counts as IPv6 enabled, as Kuma assumes for old kuma-dp), and the
/// features these listeners read.
/// </summary>
public sealed record AdminFacts(uint Port, string Address, string SocketPath, uint ReadinessPort)
{
    public const string PortKey = "dataplane.admin.port";
    public const string AddressKey = "dataplane.admin.address";
    public const string SocketPathKey = "dataplane.admin.socketPath";
    public const string ReadinessPortKey = "dataplane.readinessReporter.port";
    public const string AppProbeProxyKey = "dataplane.appProbeProxy.enabled";
    public const string Ipv6EnabledKey = "ipv6Enabled";
    public const string FeaturesKey = "features";
    public const string ReadinessUnixSocketFeature = "feature-readiness-unix-socket";
    public const string ReusePortFeature = "feature-reuse-port";

    /// <summary>A node that reported no admin API: it gets no admin listener, clusters or error.</summary>
    public static AdminFacts None { get; } = new(0, "", "", 0);

    /// <summary>kuma-dp answers readiness on a unix socket in its work directory (older kuma-dp) rather than on a TCP port.</summary>
    public bool ReadinessUnixSocket { get; init; }

    /// <summary>
    /// kuma-dp asks for listeners with <c>enable_reuse_port</c> (its default since Kuma 2.12), which the admin and probe
    /// listeners follow as Kuma's do.
    /// </summary>
    public bool ReusePort { get; init; }

    /// <summary>kuma-dp serves the application's probes itself, so the virtual probe listener is left out.</summary>
    public bool AppProbeProxy { get; init; }

    /// <summary>Whether the loopback ranges an HTTP connection manager treats as internal include <c>::1</c>.</summary>
    public bool Ipv6Enabled { get; init; } = true;

    public static AdminFacts Of(Struct? metadata)
    {
        if (metadata is null) return None;
        return new AdminFacts(PortOf(metadata, PortKey), Text(metadata, AddressKey), Text(metadata, SocketPathKey), PortOf(metadata, ReadinessPortKey))
        {
            ReadinessUnixSocket = Features(metadata).Contains(ReadinessUnixSocketFeature),
            ReusePort = Features(metadata).Contains(ReusePortFeature),
            AppProbeProxy = Text(metadata, AppProbeProxyKey) == "true",
            Ipv6Enabled = !metadata.Fields.TryGetValue(Ipv6EnabledKey, out var ipv6) || ipv6.BoolValue,
        };
    }

    /// <summary>Ports travel as decimal strings; anything else counts as no port, as Kuma reads them.</summary>
    private static uint PortOf(Struct metadata, string key) =>
        uint.TryParse(Text(metadata, key), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= int.MaxValue ? port : 0;

    private static string Text(Struct metadata, string key) =>
        metadata.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : "";

    private static IEnumerable<string> Features(Struct metadata) =>
        metadata.Fields.TryGetValue(FeaturesKey, out var list) && list.KindCase == Value.KindOneofCase.ListValue
            ? list.ListValue.Values.Where(v => v.KindCase == Value.KindOneofCase.StringValue).Select(v => v.StringValue)
            : [];
}
