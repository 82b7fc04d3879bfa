using Kuma.Tests.Proxyless;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// Proxyless gRPC workloads with mesh identities in tests: their Dataplane, their dataplane token as a file, and
/// <c>kuma-proxyless-identity</c> keeping their files in <c>&lt;root&gt;/&lt;name&gt;</c> with a bootstrap beside them.
/// </summary>
internal static class ProxylessWorkloads
{
    public static string Dataplane(string mesh, string name, string service, int port) => $$$"""
        {"type":"Dataplane","mesh":"{{{mesh}}}","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc"}}]}}
        """;

    /// <summary>Writes a new dataplane token of <paramref name="name"/> to <c>&lt;root&gt;/&lt;name&gt;.token</c> (with the newline an editor leaves).</summary>
    public static async Task<string> TokenFileAsync(HttpClient tenant, string mesh, string name, string root)
    {
        var path = Path.Combine(root, $"{name}.token");
        await File.WriteAllTextAsync(path, await ControlPlane.DataplaneTokenAsync(tenant, mesh, name) + "\n");
        return path;
    }

    public static string Bootstrap(string root, string name) => Path.Combine(root, $"{name}-bootstrap.json");

    /// <summary>The helper polling for <paramref name="name"/>'s identity (every 500 ms, gRPC re-reading its files every second), once its files are written.</summary>
    public static async Task<HelperProcess> StartHelperAsync(string dpAddress, HttpClient tenant, string mesh, string name, string root, params string[] extra)
    {
        var helper = HelperProcess.Start(["--address", dpAddress, "--mesh", mesh, "--name", name, "--token-file", await TokenFileAsync(tenant, mesh, name, root),
            "--dir", Path.Combine(root, name), "--bootstrap-out", Bootstrap(root, name), "--poll-interval", "500ms", "--refresh-interval", "1s", .. extra]);
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(Bootstrap(root, name))), TimeSpan.FromSeconds(30), $"{name}'s files written; helper log: {helper.Log}");
        return helper;
    }
}
