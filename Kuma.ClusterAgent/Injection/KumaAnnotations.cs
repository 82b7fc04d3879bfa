namespace Kuma.ClusterAgent.Injection;

/// <summary>Annotation and label keys the injector reads and writes: Kuma's names, plus our proxyless pair.</summary>
internal static class KumaAnnotations
{
    public const string SidecarInjection = "kuma.io/sidecar-injection";
    public const string SidecarInjected = "kuma.io/sidecar-injected";
    public const string SidecarUid = "kuma.io/sidecar-uid";
    public const string SidecarDrainTime = "kuma.io/sidecar-drain-time";
    public const string SidecarConcurrency = "kuma.io/sidecar-proxy-concurrency";
    public const string Mesh = "kuma.io/mesh";
    public const string Gateway = "kuma.io/gateway";
    public const string TransparentProxying = "kuma.io/transparent-proxying";
    public const string InboundPort = "kuma.io/transparent-proxying-inbound-port";
    public const string OutboundPort = "kuma.io/transparent-proxying-outbound-port";
    public const string IpFamilyMode = "kuma.io/transparent-proxying-ip-family-mode";
    public const string EnvoyAdminPort = "kuma.io/envoy-admin-port";
    public const string VirtualProbes = "kuma.io/virtual-probes";
    public const string VirtualProbesPort = "kuma.io/virtual-probes-port";
    public const string ApplicationProbeProxyPort = "kuma.io/application-probe-proxy-port";
    public const string InitFirst = "kuma.io/init-first";
    public const string ExcludeInboundPorts = "traffic.kuma.io/exclude-inbound-ports";
    public const string ExcludeOutboundPorts = "traffic.kuma.io/exclude-outbound-ports";
    public const string ExcludeInboundIps = "traffic.kuma.io/exclude-inbound-ips";
    public const string ExcludeOutboundIps = "traffic.kuma.io/exclude-outbound-ips";
    public const string ExcludeOutboundPortsForUids = "traffic.kuma.io/exclude-outbound-ports-for-uids";
    public const string DropInvalidPackets = "traffic.kuma.io/drop-invalid-packets";
    public const string IptablesLogs = "traffic.kuma.io/iptables-logs";
    public const string DefaultContainer = "kubectl.kubernetes.io/default-container";

    /// <summary>Our addition: a proxyless gRPC workload (annotation or label), and the mark the webhook leaves on it.</summary>
    public const string Proxyless = "kuma.io/proxyless";
    public const string ProxylessInjected = "kuma.io/proxyless-injected";

    public const string Enabled = "enabled";
    public const string Disabled = "disabled";

    /// <summary>Kuma's truthy/falsy spellings of an enabled/disabled annotation.</summary>
    public static bool? ParseEnabled(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "enabled" or "true" => true,
        "disabled" or "false" => false,
        _ => null,
    };
}
