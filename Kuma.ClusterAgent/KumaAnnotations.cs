namespace Kuma.ClusterAgent;

/// <summary>
/// The annotation and label keys of Kuma's injector and pod converter, in one place because the webhook writes what
/// the converter reads back; plus our proxyless pair.
/// </summary>
internal static class KumaAnnotations
{
    public const string SidecarInjection = "kuma.io/sidecar-injection";
    public const string SidecarInjected = "kuma.io/sidecar-injected";
    public const string Mesh = "kuma.io/mesh";
    public const string Gateway = "kuma.io/gateway";
    public const string Ingress = "kuma.io/ingress";
    public const string Egress = "kuma.io/egress";
    public const string Ignore = "kuma.io/ignore";
    public const string ZoneProxyType = "k8s.kuma.io/zone-proxy-type";
    public const string TransparentProxying = "kuma.io/transparent-proxying";
    public const string TransparentProxyConfig = "traffic.kuma.io/transparent-proxy-config";
    public const string InboundRedirectPort = "kuma.io/transparent-proxying-inbound-port";
    public const string OutboundRedirectPort = "kuma.io/transparent-proxying-outbound-port";
    public const string IpFamilyMode = "kuma.io/transparent-proxying-ip-family-mode";
    public const string ReachableServices = "kuma.io/transparent-proxying-reachable-services";
    public const string ReachableBackends = "kuma.io/reachable-backends";
    public const string DirectAccessServices = "kuma.io/direct-access-services";
    public const string EnvoyAdminPort = "kuma.io/envoy-admin-port";
    public const string VirtualProbes = "kuma.io/virtual-probes";
    public const string VirtualProbesPort = "kuma.io/virtual-probes-port";
    public const string ApplicationProbeProxyPort = "kuma.io/application-probe-proxy-port";
    public const string MetricsPort = "prometheus.metrics.kuma.io/port";
    public const string MetricsPath = "prometheus.metrics.kuma.io/path";
    public const string SidecarUid = "kuma.io/sidecar-uid";
    public const string SidecarDrainTime = "kuma.io/sidecar-drain-time";
    public const string SidecarConcurrency = "kuma.io/sidecar-proxy-concurrency";
    public const string InitFirst = "kuma.io/init-first";
    public const string ExcludeInboundPorts = "traffic.kuma.io/exclude-inbound-ports";
    public const string ExcludeOutboundPorts = "traffic.kuma.io/exclude-outbound-ports";
    public const string ExcludeInboundIps = "traffic.kuma.io/exclude-inbound-ips";
    public const string ExcludeOutboundIps = "traffic.kuma.io/exclude-outbound-ips";
    public const string ExcludeOutboundPortsForUids = "traffic.kuma.io/exclude-outbound-ports-for-uids";
    public const string DropInvalidPackets = "traffic.kuma.io/drop-invalid-packets";
    public const string IptablesLogs = "traffic.kuma.io/iptables-logs";
    public const string DefaultContainer = "kubectl.kubernetes.io/default-container";
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";

    /// <summary>Ours, not Kuma's: a proxyless gRPC workload (no sidecar; the webhook hands it an xDS bootstrap).</summary>
    public const string Proxyless = "kuma.io/proxyless";
    public const string ProxylessInjected = "kuma.io/proxyless-injected";

    /// <summary>Kuma's spellings of a switched annotation, matched exactly (true/yes/enabled, false/no/disabled); else null.</summary>
    public static bool? ParseEnabled(string? value) => value switch
    {
        "true" or "yes" or "enabled" => true,
        "false" or "no" or "disabled" => false,
        _ => null,
    };

    /// <summary>The sidecar container Kuma's injector adds; its readiness counts for every inbound.</summary>
    public const string SidecarContainerName = "kuma-sidecar";
}

/// <summary>Tag keys of the inbounds Kuma derives from Kubernetes objects.</summary>
internal static class KumaTags
{
    public const string Service = "kuma.io/service";
    public const string Protocol = "kuma.io/protocol";
    public const string Zone = "kuma.io/zone";
    public const string Instance = "kuma.io/instance";
    public const string KubeNamespace = "k8s.kuma.io/namespace";
    public const string KubeServiceName = "k8s.kuma.io/service-name";
    public const string KubeServicePort = "k8s.kuma.io/service-port";
}
