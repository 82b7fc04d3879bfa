using Kuma.Configuration;

namespace Kuma.Gateway.Api;

/// <summary>Settings of the REST API server, read from Kuma's variable names where Kuma has one.</summary>
public sealed record ApiOptions
{
    public string Interface { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 5681;
    /// <summary>The same API over TLS with the cluster's certificate (the DP server's), as Kuma serves it on 5682.</summary>
    public bool HttpsEnabled { get; init; } = true;
    public string HttpsInterface { get; init; } = "0.0.0.0";
    public int HttpsPort { get; init; } = 5682;
    public bool LocalhostIsAdmin { get; init; } = true;
    public long MaxBodyBytes { get; init; } = 1024 * 1024;
    public int TenantRequestsPerSecond { get; init; } = 2000;
    public TimeSpan MaxTokenValidity { get; init; } = TimeSpan.FromDays(3650);
    public string ClusterId { get; init; } = "kuma";

    public static ApiOptions From(KumaSettings settings) => new()
    {
        Interface = settings.GetString("KUMA_API_SERVER_HTTP_INTERFACE", "127.0.0.1"),
        Port = settings.GetInt("KUMA_API_SERVER_HTTP_PORT", 5681),
        HttpsEnabled = settings.GetBool("KUMA_API_SERVER_HTTPS_ENABLED", true),
        HttpsInterface = settings.GetString("KUMA_API_SERVER_HTTPS_INTERFACE", "0.0.0.0"),
        HttpsPort = settings.GetInt("KUMA_API_SERVER_HTTPS_PORT", 5682),
        LocalhostIsAdmin = settings.GetBool("KUMA_API_SERVER_AUTHN_LOCALHOST_IS_ADMIN", true),
        MaxBodyBytes = settings.GetInt("KUMA_API_SERVER_MAX_BODY_BYTES", 1024 * 1024),
        TenantRequestsPerSecond = settings.GetInt("KUMA_TENANT_API_REQUESTS_PER_SECOND", 2000),
        ClusterId = settings.GetString("KUMA_CLUSTER_ID", "kuma"),
    };
}
