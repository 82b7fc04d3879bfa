namespace Kuma.Configuration;

/// <summary>How silos find each other and how gateways find silos.</summary>
public sealed record KumaClusterOptions(string ClusterId, string ServiceId, int SiloPort, int GatewayPort, string AdvertisedAddress)
{
    public static KumaClusterOptions From(KumaSettings settings) => new(
        settings.GetString("KUMA_CLUSTER_ID", "kuma"),
        settings.GetString("KUMA_CLUSTER_SERVICE_ID", "kuma-cp"),
        settings.GetInt("KUMA_CLUSTER_SILO_PORT", 11111),
        settings.GetInt("KUMA_CLUSTER_GATEWAY_PORT", 30000),
        settings.GetString("KUMA_CLUSTER_ADVERTISED_ADDRESS", "127.0.0.1"));
}
