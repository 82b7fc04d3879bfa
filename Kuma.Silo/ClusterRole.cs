using Kuma.Configuration;

namespace Kuma.Silo;

/// <summary>
/// What a Kuma.Silo process serves. <c>all</c> (the default) co-hosts the gateway tier (API and DP server) with the
/// silo; <c>silo</c> runs grains only and opens no port but Orleans' own, so several silos share a machine with
/// standalone gateways (Kuma.Gateway) in front and each tier scales on its own.
/// </summary>
public enum ClusterRole
{
    All,
    Silo,
}

public static class ClusterRoles
{
    public const string Setting = "KUMA_CLUSTER_ROLE";

    public static ClusterRole From(KumaSettings settings) => settings.GetString(Setting, "all").Trim().ToLowerInvariant() switch
    {
        "all" => ClusterRole.All,
        "silo" => ClusterRole.Silo,
        var other => throw new KumaConfigurationException($"{Setting} must be all or silo, not '{other}' (a gateway on its own is Kuma.Gateway)"),
    };
}
