using Kuma.Testing;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Policies;

/// <summary>
/// Policies shape what real proxyless gRPC clients (npm @grpc/grpc-js-xds) do: each policy's effect is seen
/// in the calls themselves, and deleting the policy restores plain behaviour.
/// </summary>
public sealed class ProxylessPolicyTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private static readonly string[] XdsV3 = ["xds_v3"];
    private const int DeadlineExceeded = 4;

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task MeshTimeout_ends_slow_calls_at_the_configured_time_and_deleting_it_lets_them_finish()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("timeout-e2e"));
        await PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var port = FreePort.Next();
        await PutAsync(api, "/meshes/m1/dataplanes/slow-1", Backend("m1", "slow-1", "slow", port));
        await using var backend = await StartBackend("slow-1", port, "--delay-ms", "1500");
        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "slow", deadlineMs: 5000);

        // The mesh's default MeshTimeout allows 15 s: the 1.5 s calls complete.
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));

        await PutAsync(api, "/meshes/m1/meshtimeouts/slow-calls", """
            {"type":"MeshTimeout","mesh":"m1","name":"slow-calls","spec":{
              "targetRef":{"kind":"Dataplane","name":"caller"},
              "to":[{"targetRef":{"kind":"MeshService","name":"slow"},"default":{"http":{"requestTimeout":"400ms"}}}]}}
            """);
        var cut = await ConsecutiveAsync(caller, 3, line => line["error"]?.GetValue<int>() == DeadlineExceeded);
        Assert.All(cut, line => Assert.InRange(line["ms"]!.GetValue<int>(), 350, 1200));

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshtimeouts/slow-calls")).StatusCode);
        var finished = await ConsecutiveAsync(caller, 2, line => line["server"] is not null);
        Assert.All(finished, line => Assert.InRange(line["ms"]!.GetValue<int>(), 1400, 4000));
    }

    /// <summary>Reads answers until <paramref name="count"/> in a row satisfy <paramref name="condition"/>; returns those.</summary>
    private static async Task<List<JsonNode>> ConsecutiveAsync(NodeProcess client, int count, Func<JsonNode, bool> condition)
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

    private static string Backend(string mesh, string name, string service, int port) => $$$"""
        {"type":"Dataplane","mesh":"{{{mesh}}}","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc"}}]}}
        """;

    private static async Task PutAsync(HttpClient api, string path, string json)
    {
        var response = await api.PutAsync(path, ControlPlane.Json(json));
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private NodeProcess Client(string mesh, string name, string token, string target, int deadlineMs = 2000) =>
        NodeProcess.Start("client.js", [target, "20", deadlineMs.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP_CONFIG"] = JsonSerializer.Serialize(new
            {
                xds_servers = new[] { new { server_uri = $"127.0.0.1:{Cp.DpPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = XdsV3 } },
                node = new { id = $"{mesh}.{name}", locality = new { zone = "default" }, metadata = new Dictionary<string, string> { ["dataplane.token"] = token } },
            }),
        });

    private static async Task<NodeProcess> StartBackend(string id, int port, params string[] options)
    {
        var backend = NodeProcess.Start("server.js", [port.ToString(CultureInfo.InvariantCulture), id, .. options]);
        var ready = await backend.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(port, ready["listening"]!.GetValue<int>());
        return backend;
    }
}
