using Kuma.Configuration;

namespace Kuma.Gateway.Dp;

/// <summary>
/// What the bootstrap server puts in every bootstrap, under Kuma's setting names (its <c>bootstrapServer.params</c>
/// and the two settings of other sections the bootstrap reads).
/// </summary>
public sealed record BootstrapSettings
{
    /// <summary>Where Envoy's admin interface listens.</summary>
    public string AdminAddress { get; init; } = "127.0.0.1";
    /// <summary>Envoy's admin port when the Dataplane names none (<c>networking.admin.port</c>); 0: no admin interface.</summary>
    public uint AdminPort { get; init; } = 9901;
    /// <summary>
    /// Envoy's admin interface on a unix socket in kuma-dp's work directory instead of TCP. Kuma 2.14 defaults to
    /// it; here it is off by default, because the admin listener generated for the proxy proxies the TCP port.
    /// </summary>
    public bool EnvoyAdminUnixSocket { get; init; }
    public string AdminAccessLogPath { get; init; } = "/dev/null";
    /// <summary>The host Envoy's ADS cluster connects to; empty: the host kuma-dp reached this control plane by.</summary>
    public string XdsHost { get; init; } = "";
    /// <summary>The port Envoy's ADS cluster connects to; 0: the DP server's port.</summary>
    public uint XdsPort { get; init; }
    public TimeSpan XdsConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The receive window of the gRPC client Envoy uses when it reads the token from a file.</summary>
    public uint XdsGrpcMaxReceiveMessageBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>A CoreDNS template handed to kuma-dp in <c>kumaSidecarConfiguration</c>; empty: kuma-dp's own.</summary>
    public string CorefileTemplatePath { get; init; } = "";
    /// <summary>When kuma-dp names its token file, Envoy rereads the token from it for every new ADS stream.</summary>
    public bool ReloadableTokens { get; init; }
    /// <summary>The downstream connection limit of a builtin gateway's overload manager.</summary>
    public uint GatewayGlobalDownstreamMaxConnections { get; init; } = 50_000;

    public static BootstrapSettings From(KumaSettings settings) => new()
    {
        AdminAddress = settings.GetString("KUMA_BOOTSTRAP_SERVER_PARAMS_ADMIN_ADDRESS", "127.0.0.1"),
        AdminPort = Port(settings, "KUMA_BOOTSTRAP_SERVER_PARAMS_ADMIN_PORT", 9901),
        EnvoyAdminUnixSocket = settings.GetBool("KUMA_BOOTSTRAP_SERVER_PARAMS_ENVOY_ADMIN_UNIX_SOCKET", false),
        AdminAccessLogPath = settings.GetString("KUMA_BOOTSTRAP_SERVER_PARAMS_ADMIN_ACCESS_LOG_PATH", "/dev/null"),
        XdsHost = settings.GetString("KUMA_BOOTSTRAP_SERVER_PARAMS_XDS_HOST", ""),
        XdsPort = Port(settings, "KUMA_BOOTSTRAP_SERVER_PARAMS_XDS_PORT", 0),
        XdsConnectTimeout = settings.GetDuration("KUMA_BOOTSTRAP_SERVER_PARAMS_XDS_CONNECT_TIMEOUT", TimeSpan.FromSeconds(1)),
        XdsGrpcMaxReceiveMessageBytes = (uint)Math.Max(0, settings.GetInt("KUMA_BOOTSTRAP_SERVER_PARAMS_XDS_GRPC_MAX_RECEIVE_MESSAGE_BYTES", 4 * 1024 * 1024)),
        CorefileTemplatePath = settings.GetString("KUMA_BOOTSTRAP_SERVER_PARAMS_COREFILE_TEMPLATE_PATH", ""),
        ReloadableTokens = settings.GetBool("KUMA_DP_SERVER_AUTHN_ENABLE_RELOADABLE_TOKENS", false),
        GatewayGlobalDownstreamMaxConnections = (uint)Math.Max(0, settings.GetInt("KUMA_PROXY_GATEWAY_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS", 50_000)),
    };

    private static uint Port(KumaSettings settings, string key, int defaultValue)
    {
        var port = settings.GetInt(key, defaultValue);
        return port is >= 0 and <= 65535 ? (uint)port : throw new KumaConfigurationException($"{key} must be a port number (0-65535), not {port}");
    }
}
