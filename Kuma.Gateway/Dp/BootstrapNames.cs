namespace Kuma.Gateway.Dp;

/// <summary>Names Kuma's bootstrap uses, and the paths of kuma-dp's sockets it points at.</summary>
public static class BootstrapNames
{
    public const string AdsCluster = "ads_cluster";
    public const string AccessLogSinkCluster = "access_log_sink";
    /// <summary>The names of the two clusters for a proxy that uses Kuma's unified resource naming.</summary>
    public const string SystemAdsCluster = "system_ads";
    public const string SystemAccessLogSinkCluster = "system_access_log_sink";
    public const string CpValidationContext = "cp_validation_ctx";
    public const string UnifiedResourceNamingFeature = "feature-unified-resource-naming";
    public const string DeltaGrpcFeature = "feature-delta-grpc";

    public static string AccessLogSocket(string workdir, string name, string mesh) => Socket(workdir, $"kuma-al-{name}-{mesh}");

    public static string AdminSocket(string workdir) => Socket(workdir, "kuma-envoy-admin");

    /// <summary>A socket path, cut to stay within the 104-byte limit of unix socket paths as kuma-dp expects it.</summary>
    private static string Socket(string workdir, string name)
    {
        var path = workdir.Length == 0 ? name : workdir.TrimEnd('/') + "/" + name;
        return path[..Math.Min(path.Length, 98)] + ".sock";
    }
}
