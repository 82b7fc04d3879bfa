using Kuma.Configuration;

namespace Kuma.Gateway.Diagnostics;

/// <summary>Kuma's diagnostics server: <c>/healthy</c>, <c>/ready</c> and <c>/metrics</c> on a port of their own.</summary>
public sealed record DiagnosticsOptions
{
    public string Interface { get; init; } = "0.0.0.0";
    public int Port { get; init; } = 5680;
    /// <summary>A node whose probe of the cluster has not been answered for this long is cut off: not ready, and refuses new streams.</summary>
    public TimeSpan ClusterCutOffAfter { get; init; } = TimeSpan.FromSeconds(10);

    public static DiagnosticsOptions From(KumaSettings settings) => new()
    {
        Interface = settings.GetString("KUMA_DIAGNOSTICS_SERVER_INTERFACE", "0.0.0.0"),
        Port = settings.GetInt("KUMA_DIAGNOSTICS_SERVER_PORT", 5680),
        ClusterCutOffAfter = settings.GetDuration("KUMA_DIAGNOSTICS_CLUSTER_CUT_OFF_AFTER", TimeSpan.FromSeconds(10)),
    };
}
