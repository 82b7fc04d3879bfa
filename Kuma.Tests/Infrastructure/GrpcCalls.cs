using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// Driving the example's real gRPC processes (node/…/server.js and client.js with @grpc/grpc-js-xds) from tests:
/// starting a backend, a proxyless caller bootstrapped against the control plane, and reading its answers.
/// </summary>
internal static class GrpcCalls
{
    private static readonly string[] XdsV3 = ["xds_v3"];

    /// <summary>A backend answering with its <paramref name="id"/>, once it listens.</summary>
    public static async Task<NodeProcess> StartBackendAsync(string id, int port, params string[] options)
    {
        var backend = NodeProcess.Start("server.js", [port.ToString(CultureInfo.InvariantCulture), id, .. options]);
        var ready = await backend.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(port, ready["listening"]!.GetValue<int>());
        return backend;
    }

    /// <summary>A proxyless caller (<c>client.js</c> with <paramref name="arguments"/>) whose xDS bootstrap names it <c>mesh.name</c>.</summary>
    public static NodeProcess StartClient(int dpPort, string mesh, string name, string token, IEnumerable<string> arguments) =>
        NodeProcess.Start("client.js", [.. arguments], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP_CONFIG"] = JsonSerializer.Serialize(new
            {
                xds_servers = new[] { new { server_uri = $"127.0.0.1:{dpPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = XdsV3 } },
                node = new { id = $"{mesh}.{name}", locality = new { zone = "default" }, metadata = new Dictionary<string, string> { ["dataplane.token"] = token } },
            }),
        });

    /// <summary>The servers that answered the next <paramref name="count"/> calls (errors fail the test).</summary>
    public static async Task<List<string>> AnswersAsync(NodeProcess client, int count)
    {
        var servers = new List<string>();
        await client.ReadUntilAsync(line =>
        {
            if (line["t"] is null) return false;
            Assert.Null(line["error"]);
            servers.Add(line["server"]!.GetValue<string>());
            return servers.Count >= count;
        }, TimeSpan.FromSeconds(60));
        return servers;
    }

    /// <summary>Reads answers until <paramref name="count"/> in a row satisfy <paramref name="condition"/>; returns those.</summary>
    public static async Task<List<JsonNode>> ConsecutiveAsync(NodeProcess client, int count, Func<JsonNode, bool> condition)
    {
        var run = new List<JsonNode>();
        await client.ReadUntilAsync(line =>
        {
            if (line["t"] is null) return false;
            if (condition(line)) run.Add(line);
            else run.Clear();
            return run.Count >= count;
        }, TimeSpan.FromSeconds(30));
        return run;
    }

    public static async Task PutAsync(HttpClient api, string path, string json)
    {
        var response = await api.PutAsync(path, ControlPlane.Json(json));
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
