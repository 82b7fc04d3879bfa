using System.Globalization;

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

    /// <summary>How long an issued dataplane token is asked to live (the Secret is not renewed: see the report).</summary>
    public TimeSpan TokenValidity { get; init; } = TimeSpan.FromDays(365);

    public string ServiceDnsName => $"{ServiceName}.{AgentNamespace}.svc";

    /// <summary>Reads the agent's environment (names of the shared agent contract); throws with the variable's name when one is missing or bad.</summary>
    public static InjectionOptions FromEnvironment(Func<string, string?> env)
    {
        var dpServer = Required(env, "KUMA_AGENT_DP_SERVER_URL");
        if (!Uri.TryCreate(dpServer, UriKind.Absolute, out var dpServerUrl) || (dpServerUrl.Scheme != "https" && dpServerUrl.Scheme != "http"))
            throw new InvalidOperationException($"KUMA_AGENT_DP_SERVER_URL must be an absolute http(s) URL, got '{dpServer}'");
        var caFile = env("KUMA_AGENT_CA_FILE");
        var port = env("KUMA_AGENT_WEBHOOK_PORT");
        var options = new InjectionOptions
        {
            DpServerUrl = dpServerUrl,
            Zone = Required(env, "KUMA_AGENT_ZONE"),
            ControlPlaneCaPem = string.IsNullOrEmpty(caFile) ? null : File.ReadAllText(caFile),
            WebhookPort = string.IsNullOrEmpty(port) ? DefaultWebhookPort : ParsePort(port),
            AgentNamespace = NonEmpty(env("KUMA_AGENT_NAMESPACE")) ?? "kuma-system",
            WebhookCertFile = NonEmpty(env("KUMA_AGENT_WEBHOOK_CERT_FILE")),
            WebhookKeyFile = NonEmpty(env("KUMA_AGENT_WEBHOOK_KEY_FILE")),
        };
        if ((options.WebhookCertFile is null) != (options.WebhookKeyFile is null))
            throw new InvalidOperationException("KUMA_AGENT_WEBHOOK_CERT_FILE and KUMA_AGENT_WEBHOOK_KEY_FILE go together: set both or neither");
        return options with
        {
            SidecarImage = NonEmpty(env("KUMA_AGENT_SIDECAR_IMAGE")) ?? options.SidecarImage,
            InitImage = NonEmpty(env("KUMA_AGENT_INIT_IMAGE")) ?? options.InitImage,
        };
    }

    private static string Required(Func<string, string?> env, string name) =>
        NonEmpty(env(name)) ?? throw new InvalidOperationException($"{name} is required");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"KUMA_AGENT_WEBHOOK_PORT must be a port number, got '{value}'");
}
