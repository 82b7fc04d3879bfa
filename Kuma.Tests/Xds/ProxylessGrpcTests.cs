using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Xds;

/// <summary>Real proxyless gRPC clients (npm @grpc/grpc-js-xds) find their backends through the control plane.</summary>
public sealed class ProxylessGrpcTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private static readonly string[] XdsV3 = ["xds_v3"];

    private ControlPlane Cp => fixture.ControlPlane;

    private static string Backend(string mesh, string name, int port) => $$$"""
        {"type":"Dataplane","mesh":"{{{mesh}}}","name":"{{{name}}}","networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"backend","kuma.io/protocol":"grpc"}}]}}
        """;

    private NodeProcess Client(string mesh, string name, string token) => NodeProcess.Start("client.js", ["backend", "20"], new Dictionary<string, string>
    {
        ["GRPC_XDS_BOOTSTRAP_CONFIG"] = JsonSerializer.Serialize(new
        {
            xds_servers = new[] { new { server_uri = $"127.0.0.1:{Cp.DpPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = XdsV3 } },
            node = new { id = $"{mesh}.{name}", locality = new { zone = "default" }, metadata = new Dictionary<string, string> { ["dataplane.token"] = token } },
        }),
    });

    private static async Task<NodeProcess> StartBackend(string id, int port)
    {
        var backend = NodeProcess.Start("server.js", [port.ToString(CultureInfo.InvariantCulture), id]);
        var ready = await backend.NextAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(port, ready["listening"]!.GetValue<int>());
        return backend;
    }

    [Fact]
    public async Task Calls_reach_every_backend_follow_deletions_within_a_second_and_never_cross_tenants()
    {
        using var t1 = Cp.NewClient(await Cp.CreateTenantAsync("grpc-t1"));
        using var t2 = Cp.NewClient(await Cp.CreateTenantAsync("grpc-t2"));
        var (p1, p2, p3) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        await using var b1 = await StartBackend("b1", p1);
        await using var b2 = await StartBackend("b2", p2);
        await using var b3 = await StartBackend("b3", p3);
        foreach (var (client, backends) in new[] { (t1, new[] { ("b1", p1), ("b2", p2) }), (t2, new[] { ("b3", p3) }) })
        {
            (await client.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
            foreach (var (name, port) in backends)
                (await client.PutAsync($"/meshes/m1/dataplanes/{name}", ControlPlane.Json(Backend("m1", name, port)))).EnsureSuccessStatusCode();
        }

        await using var caller = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(t1, "m1", "caller"));
        await using var other = Client("m1", "caller", await ControlPlane.DataplaneTokenAsync(t2, "m1", "caller"));

        var seen = new HashSet<string>();
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() is { } s && seen.Add(s) && seen.SetEquals(["b1", "b2"]), TimeSpan.FromSeconds(30));

        var deletedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.OK, (await t1.DeleteAsync("/meshes/m1/dataplanes/b2")).StatusCode);
        // Watch the caller for two more seconds: b2 may answer only in the first second after the delete.
        var after = await caller.ReadUntilAsync(line => line["t"]!.GetValue<long>() > deletedAt + 2000, TimeSpan.FromSeconds(10));
        var lastB2 = after.Where(l => l["server"]?.GetValue<string>() == "b2").Select(l => l["t"]!.GetValue<long>()).DefaultIfEmpty(deletedAt).Max();
        Assert.True(lastB2 - deletedAt < 1000, $"b2 still answered {lastB2 - deletedAt} ms after its dataplane was deleted");
        Assert.Contains(after, l => l["server"]?.GetValue<string>() == "b1" && l["t"]!.GetValue<long>() > deletedAt + 1000);
        Assert.DoesNotContain(after, l => l["error"] is not null && l["t"]!.GetValue<long>() > deletedAt + 1000);

        // The other tenant's caller, with the same mesh and node names, only ever reached its own backend.
        var others = await other.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));
        var until = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 500;
        others.AddRange(await other.ReadUntilAsync(line => line["t"]!.GetValue<long>() > until, TimeSpan.FromSeconds(10)));
        Assert.All(others.Where(l => l["server"] is not null), l => Assert.Equal("b3", l["server"]!.GetValue<string>()));
    }
}
