using System.Text.Json.Nodes;

namespace Kuma.ProxylessIdentity;

/// <summary>
/// The gRPC xDS bootstrap (GRPC_XDS_BOOTSTRAP) of the workload: the control plane's xDS server, the node with its
/// token, and the two certificate provider instances the control plane's TLS contexts name, reading the files of
/// <see cref="IdentityFiles"/>.
/// </summary>
internal static class GrpcBootstrap
{
    public const string IdentityProvider = "kuma-identity";
    public const string MeshCaProvider = "kuma-mesh-ca";
    public const string ServerListenerTemplate = "kuma/grpc/server?listening_address=%s";

    public static string Render(HelperOptions options, string token)
    {
        var directory = Path.GetFullPath(options.Directory);
        var refresh = HelperOptions.GrpcDuration(options.RefreshInterval);
        var node = new JsonObject
        {
            ["id"] = $"{options.Mesh}.{options.Name}",
            ["metadata"] = new JsonObject { ["dataplane.token"] = token },
        };
        // grpc-js refuses a bootstrap whose node has no locality at all, so an empty one stands for "no zone".
        node["locality"] = options.Zone is { } zone ? new JsonObject { ["zone"] = zone } : new JsonObject();
        var bootstrap = new JsonObject
        {
            ["xds_servers"] = new JsonArray(new JsonObject
            {
                ["server_uri"] = $"{options.Address.Host}:{options.Address.Port}",
                ["channel_creds"] = new JsonArray(ChannelCredentials(options)),
                ["server_features"] = new JsonArray("xds_v3"),
            }),
            ["node"] = node,
            ["certificate_providers"] = new JsonObject
            {
                [IdentityProvider] = FileWatcher(new JsonObject
                {
                    ["certificate_file"] = Path.Combine(directory, IdentityFiles.Certificate),
                    ["private_key_file"] = Path.Combine(directory, IdentityFiles.PrivateKey),
                    ["refresh_interval"] = refresh,
                }),
                [MeshCaProvider] = FileWatcher(new JsonObject
                {
                    ["ca_certificate_file"] = Path.Combine(directory, IdentityFiles.CaBundle),
                    ["refresh_interval"] = refresh,
                }),
            },
            ["server_listener_resource_name_template"] = ServerListenerTemplate,
        };
        return bootstrap.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>
    /// Plaintext for an http address; for https, gRPC's <c>tls</c> channel credentials (gRFC A65, read by gRPC C++, Go
    /// and Java; grpc-js 1.14 knows only <c>insecure</c> and <c>google_default</c>, so it refuses this bootstrap rather
    /// than falling back to plaintext).
    /// </summary>
    private static JsonObject ChannelCredentials(HelperOptions options)
    {
        if (options.Address.Scheme == "http") return new JsonObject { ["type"] = "insecure" };
        var config = new JsonObject();
        if (options.CaCertFile is { } ca) config["ca_certificate_file"] = Path.GetFullPath(ca);
        return new JsonObject { ["type"] = "tls", ["config"] = config };
    }

    private static JsonObject FileWatcher(JsonObject config) => new() { ["plugin_name"] = "file_watcher", ["config"] = config };
}
