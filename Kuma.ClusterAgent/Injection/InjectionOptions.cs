namespace Kuma.ClusterAgent.Injection;

/// <summary>Probe timings of the injected kuma-sidecar container (Kuma's injector config names).</summary>
internal sealed record ProbeTimings(int InitialDelaySeconds, int TimeoutSeconds, int PeriodSeconds, int SuccessThreshold, int FailureThreshold);

/// <summary>CPU and memory as Kubernetes quantities; a CPU limit of "0" means none.</summary>
internal sealed record ContainerResources(string RequestCpu, string RequestMemory, string LimitCpu, string LimitMemory);

/// <summary>
/// What the webhook injects. Defaults are Kuma 2.14.3's injector defaults, so a pod injected here looks like one
/// injected by Kuma; only the agent's own settings come from the environment.
/// </summary>
internal sealed record InjectionOptions
{
    public const int DefaultWebhookPort = 5443;
    public const string WebhookConfigurationName = "kuma-cluster-agent";
    public const string ServiceName = "kuma-cluster-agent";

    /// <summary>What injected proxies dial (KUMA_AGENT_DP_SERVER_URL).</summary>
    public required Uri DpServerUrl { get; init; }

    /// <summary>The cluster's zone, written into proxyless bootstraps as the node's locality.</summary>
    public required string Zone { get; init; }

    /// <summary>PEM of the control plane's CA (KUMA_AGENT_CA_FILE), handed to proxies; null when system roots suffice.</summary>
    public string? ControlPlaneCaPem { get; init; }

    public int WebhookPort { get; init; } = DefaultWebhookPort;

    /// <summary>Namespace the agent runs in: the serving certificate names the agent's Service there.</summary>
    public string AgentNamespace { get; init; } = "kuma-system";

    public string? WebhookCertFile { get; init; }
    public string? WebhookKeyFile { get; init; }

    public string SidecarImage { get; init; } = "kumahq/kuma-dp:2.14.3";
    public string InitImage { get; init; } = "kumahq/kuma-init:2.14.3";
    public long SidecarUid { get; init; } = 5678;
    public long SidecarGid { get; init; } = 5678;
    public int AdminPort { get; init; } = 9901;
    public int RedirectPortInbound { get; init; } = 15006;
    public int RedirectPortOutbound { get; init; } = 15001;
    public string IpFamilyMode { get; init; } = "dualstack";
    public TimeSpan DrainTime { get; init; } = TimeSpan.FromSeconds(30);
    public bool VirtualProbesEnabled { get; init; }
    public int VirtualProbesPort { get; init; } = 9000;
    public int ApplicationProbeProxyPort { get; init; } = 9001;
    public ProbeTimings ReadinessProbe { get; init; } = new(1, 3, 5, 1, 12);
    public ProbeTimings LivenessProbe { get; init; } = new(60, 3, 5, 1, 12);
    public ContainerResources SidecarResources { get; init; } = new("50m", "64Mi", "0", "512Mi");
    public ContainerResources InitResources { get; init; } = new("20m", "20M", "0", "50M");

    /// <summary>Upper bound of an AdmissionReview body; the API server's own request limit is larger, pods are far smaller.</summary>
    public int MaxReviewBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long an issued dataplane token is asked to live (the Secret is not renewed; delete it to have the next pod re-issue it).</summary>
    public TimeSpan TokenValidity { get; init; } = TimeSpan.FromDays(365);

    public string ServiceDnsName => $"{ServiceName}.{AgentNamespace}.svc";
}
