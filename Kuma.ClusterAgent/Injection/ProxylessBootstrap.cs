using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// Our addition to Kuma: a proxyless gRPC pod gets no sidecar, only the gRPC xDS bootstrap in
/// <c>GRPC_XDS_BOOTSTRAP_CONFIG</c>. The bootstrap names the pod and carries the mesh's token through the kubelet's
/// <c>$(VAR)</c> expansion of earlier env entries, so neither the pod's name (unknown under generateName) nor the
/// token is written into the pod spec.
/// </summary>
internal static class ProxylessBootstrap
{
    public const string BootstrapEnv = "GRPC_XDS_BOOTSTRAP_CONFIG";
    public const string TokenEnv = "KUMA_DP_TOKEN";
    public const string ServerListenerTemplate = "kuma/grpc/server?listening_address=%s";
    public const string CaMountPath = "/var/run/kuma.io/control-plane-ca";
    public const string CaVolume = "kuma-control-plane-ca";
    public const string CaSecretKey = "ca.crt";

    /// <summary>The env entries every app container gets, in this order (each may refer only to those before it).</summary>
    public static IReadOnlyList<JsonObject> Env(InjectionOptions options, string mesh) =>
    [
        SidecarContainers.FieldRef("POD_NAME", "metadata.name"),
        SidecarContainers.FieldRef("POD_NAMESPACE", "metadata.namespace"),
        SidecarContainers.SecretRef(TokenEnv, mesh),
        new JsonObject { ["name"] = BootstrapEnv, ["value"] = Render(options, mesh) },
    ];

    public static IReadOnlySet<string> EnvNames { get; } = new HashSet<string>(StringComparer.Ordinal) { "POD_NAME", "POD_NAMESPACE", TokenEnv, BootstrapEnv };

    /// <summary>The bootstrap JSON with <c>$(POD_NAME)</c>, <c>$(POD_NAMESPACE)</c> and <c>$(KUMA_DP_TOKEN)</c> left for the kubelet.</summary>
    public static string Render(InjectionOptions options, string mesh)
    {
        // Markers survive serialisation untouched; every other '$' is doubled so the kubelet keeps it literally.
        const string podName = "\u0001POD_NAME\u0001", podNamespace = "\u0001POD_NAMESPACE\u0001", token = "\u0001TOKEN\u0001";
        var server = options.DpServerUrl;
        var bootstrap = new JsonObject
        {
            ["xds_servers"] = new JsonArray(new JsonObject
            {
                ["server_uri"] = $"{server.Host}:{server.Port}",
                ["channel_creds"] = new JsonArray(ChannelCredentials(options)),
                ["server_features"] = new JsonArray("xds_v3"),
            }),
            ["node"] = new JsonObject
            {
                ["id"] = $"{mesh}.{podName}.{podNamespace}",
                ["metadata"] = new JsonObject { ["dataplane.token"] = token },
                // grpc-js refuses a node without a locality object.
                ["locality"] = new JsonObject { ["zone"] = options.Zone },
            },
            ["server_listener_resource_name_template"] = ServerListenerTemplate,
        };
        return bootstrap.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .Replace("\\u0001", "\u0001", StringComparison.Ordinal)
            .Replace("$", "$$", StringComparison.Ordinal)
            .Replace(podName, "$(POD_NAME)", StringComparison.Ordinal)
            .Replace(podNamespace, "$(POD_NAMESPACE)", StringComparison.Ordinal)
            .Replace(token, $"$({TokenEnv})", StringComparison.Ordinal);
    }

    /// <summary>Plaintext for http; TLS (gRFC A65) for https, trusting the configured CA mounted from the token Secret.</summary>
    private static JsonObject ChannelCredentials(InjectionOptions options)
    {
        if (options.DpServerUrl.Scheme == "http") return new JsonObject { ["type"] = "insecure" };
        var config = new JsonObject();
        if (options.ControlPlaneCaPem is not null) config["ca_certificate_file"] = $"{CaMountPath}/{CaSecretKey}";
        return new JsonObject { ["type"] = "tls", ["config"] = config };
    }

    public static JsonObject CaVolumeOf(string mesh) => new()
    {
        ["name"] = CaVolume,
        ["secret"] = new JsonObject
        {
            ["secretName"] = SidecarContainers.TokenSecretName(mesh),
            ["items"] = new JsonArray(new JsonObject { ["key"] = CaSecretKey, ["path"] = CaSecretKey }),
        },
    };

    public static JsonObject CaMount() => new() { ["name"] = CaVolume, ["mountPath"] = CaMountPath, ["readOnly"] = true };
}
