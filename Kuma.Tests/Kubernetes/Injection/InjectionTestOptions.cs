using Kuma.ClusterAgent.Injection;

namespace Kuma.Tests.Kubernetes.Injection;

internal static class InjectionTestOptions
{
    public const string CaPem = "-----BEGIN CERTIFICATE-----\nMIIBtestCAofTheHostedControlPlane\n-----END CERTIFICATE-----\n";

    /// <summary>Kuma's injector test config (testdata/inject.config.yaml at v2.14.3) in our options, plus the agent's own settings.</summary>
    public static InjectionOptions KumaTestConfig() => new()
    {
        DpServerUrl = new Uri("https://cp.example.com:5678"),
        Zone = "zone-east",
        ControlPlaneCaPem = CaPem,
        AgentNamespace = "kuma-system",
        SidecarImage = "kuma/kuma-sidecar:latest",
        InitImage = "kuma/kuma-init:latest",
        SidecarUid = 5678,
        SidecarGid = 5678,
        AdminPort = 9901,
        RedirectPortInbound = 15006,
        RedirectPortOutbound = 15001,
        IpFamilyMode = "dualstack",
        DrainTime = TimeSpan.FromSeconds(31),
        VirtualProbesEnabled = false,
        VirtualProbesPort = 9000,
        ApplicationProbeProxyPort = 9000,
        ReadinessProbe = new ProbeTimings(11, 13, 15, 11, 112),
        LivenessProbe = new ProbeTimings(260, 23, 25, 1, 212),
        SidecarResources = new ContainerResources("150m", "164Mi", "1100m", "1512Mi"),
        InitResources = new ContainerResources("20m", "20M", "0", "50M"),
    };
}
