using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// Kuma's <c>origin</c> of a resource (the generator that made it), which patches match on. Our resources carry
/// no origin, so it is told from the name, which our generators choose as Kuma's do. Resources whose maker this
/// control plane does not have (zone ingress and egress, gateways, DNS, direct access, secrets)
/// never exist here, so origins such as <c>ingress</c>, <c>egress</c>, <c>gateway</c> or <c>dns</c> match nothing.
/// </summary>
internal static class Origins
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
    public const string Transparent = "transparent";
    public const string Prometheus = "prometheus";
    public const string OpenTelemetry = "open-telemetry";
    public const string MeshTrace = "mesh-trace";
    public const string MeshAccessLog = "meshaccesslog";
    public const string Admin = "admin";
    public const string Probe = "probe";

    /// <summary>Kuma marks listeners a patch adds with this origin, clusters with <see cref="AddedCluster"/>.</summary>
    public const string AddedListener = "mesh-proxy-patch";
    public const string AddedCluster = "proxy-template-modifications";

    /// <summary>Passthrough listeners and clusters, whose names Kuma's matchers also accept in their 2.x contextual form.</summary>
    private static readonly (string Legacy, string Contextual)[] PassthroughNames =
    [
        (EnvoyNames.OutboundPassthroughIpv4, "self_transparentproxy_passthrough_outbound_ipv4"),
        (EnvoyNames.OutboundPassthroughIpv6, "self_transparentproxy_passthrough_outbound_ipv6"),
        (EnvoyNames.InboundPassthroughIpv4, "self_transparentproxy_passthrough_inbound_ipv4"),
        (EnvoyNames.InboundPassthroughIpv6, "self_transparentproxy_passthrough_inbound_ipv6"),
    ];

    public static string? OfListener(string name) => name switch
    {
        _ when IsPassthrough(name) => Transparent,
        _ when name.StartsWith("inbound:", StringComparison.Ordinal) => Inbound,
        _ when name.StartsWith("outbound:", StringComparison.Ordinal) => Outbound,
        _ when name.StartsWith("_kuma:metrics:prometheus", StringComparison.Ordinal) => Prometheus,
        AdminResources.AdminName => Admin,
        ProbeResources.ListenerName => Probe,
        _ => null,
    };

    public static string OfCluster(string name) => name switch
    {
        _ when IsPassthrough(name) => Transparent,
        AdminResources.AdminName or AdminResources.ReadinessCluster => Admin,
        _ when name.StartsWith("localhost:", StringComparison.Ordinal) => Inbound,
        _ when name.StartsWith("meshtrace:", StringComparison.Ordinal) => MeshTrace,
        _ when name.StartsWith("meshaccesslog:", StringComparison.Ordinal) => MeshAccessLog,
        _ when name.StartsWith("_kuma:metrics:opentelemetry", StringComparison.Ordinal) => OpenTelemetry,
        // Every other cluster is a destination's (its service name, or a subset's hashed name).
        _ => Outbound,
    };

    /// <summary>A listener name in a match, compared as Kuma does: passthrough listeners answer to either of their names.</summary>
    public static bool ListenerNameMatches(string match, string actual) =>
        match == actual || PassthroughNames.Any(p => (match == p.Legacy && actual == p.Contextual) || (match == p.Contextual && actual == p.Legacy));

    private static bool IsPassthrough(string name) => PassthroughNames.Any(p => p.Legacy == name);
}
