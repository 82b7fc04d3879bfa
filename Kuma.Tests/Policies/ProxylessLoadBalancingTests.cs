using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Policies;

/// <summary>
/// MeshLoadBalancingStrategy as real proxyless gRPC clients (npm @grpc/grpc-js-xds) act on it: ring hash on a
/// request header keeps each header value on one backend, locality awareness keeps a caller in its own zone until
/// that zone has no ready backend, and deleting the policy brings round robin back.
/// </summary>
public sealed class ProxylessLoadBalancingTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private static readonly string[] HashBackends = ["b0", "b1", "b2"];
    private static readonly string[] ZoneBackends = ["a1", "a2", "b1"];
    private static readonly string[] Users = [.. Enumerable.Range(0, 20).Select(i => $"user-{i}")];

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Ring_hash_on_a_header_keeps_each_value_on_one_backend_and_deleting_it_restores_round_robin()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("lbs-hash-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var ports = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        for (var i = 0; i < 3; i++) await GrpcCalls.PutAsync(api, $"/meshes/m1/dataplanes/backend-{i}", Backend($"backend-{i}", ports[i], "a"));
        await using var b0 = await GrpcCalls.StartBackendAsync("b0", ports[0]);
        await using var b1 = await GrpcCalls.StartBackendAsync("b1", ports[1]);
        await using var b2 = await GrpcCalls.StartBackendAsync("b2", ports[2]);
        await using var caller = Client("caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"), "x-user", Users);
        await caller.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshloadbalancingstrategies/sticky-users", """
            {"type":"MeshLoadBalancingStrategy","mesh":"m1","name":"sticky-users","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{
                "loadBalancer":{"type":"RingHash"},"hashPolicies":[{"type":"Header","header":{"name":"x-user"}}]}}]}}
            """);
        // Under round robin each user's backend changes from one round to the next (20 users over 3 backends), so
        // five rounds in which every user stays put mean the client hashes.
        await StickyRunAsync(caller, 5 * Users.Length);
        var owners = await OwnersAsync(caller, 10 * Users.Length);
        Assert.All(owners, o => Assert.Single(o.Value));
        Assert.True(owners.Values.Select(o => o.Single()).Distinct().Count() >= 2, "the users' hashes spread over more than one backend");

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshloadbalancingstrategies/sticky-users")).StatusCode);
        await caller.ReadUntilAsync(ChangedOwner(owners.ToDictionary(o => o.Key, o => o.Value.Single())), TimeSpan.FromSeconds(30));
        var plain = await GrpcCalls.AnswersAsync(caller, 300);
        Assert.All(HashBackends, id => Assert.InRange(plain.Count(s => s == id), 65, 135));
    }

    [Fact]
    public async Task Locality_awareness_keeps_calls_in_the_callers_zone_while_it_has_ready_backends_then_fails_over()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("lbs-zone-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var (pa1, pa2, pb1) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a1", Backend("backend-a1", pa1, "a"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a2", Backend("backend-a2", pa2, "a"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-b1", Backend("backend-b1", pb1, "b"));
        // The caller's zone is the kuma.io/zone tag on its inbound.
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/caller", Backend("caller", FreePort.Next(), "a", service: "caller"));
        await using var a1 = await GrpcCalls.StartBackendAsync("a1", pa1);
        await using var a2 = await GrpcCalls.StartBackendAsync("a2", pa2);
        await using var b1 = await GrpcCalls.StartBackendAsync("b1", pb1);
        await using var caller = Client("caller", await ControlPlane.DataplaneTokenAsync(api, "m1", "caller"));
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() == "b1", TimeSpan.FromSeconds(30));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshloadbalancingstrategies/stay-in-zone", """
            {"type":"MeshLoadBalancingStrategy","mesh":"m1","name":"stay-in-zone","spec":{"targetRef":{"kind":"Mesh"},
              "to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{
                "localityAwareness":{"crossZone":{"failover":[{"to":{"type":"Any"}}]}}}}]}}
            """);
        // 60 calls in a row in zone a (1 in 10^10 while b1 takes a third of them), then both zone-a backends answer.
        var local = await GrpcCalls.ConsecutiveAsync(caller, 60, line => line["server"]?.GetValue<string>() is "a1" or "a2");
        Assert.Contains(local, l => l["server"]!.GetValue<string>() == "a1");
        Assert.Contains(local, l => l["server"]!.GetValue<string>() == "a2");

        // Zone a has no ready backend left: the calls fail over to zone b, and come back once one is ready again.
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a1", Backend("backend-a1", pa1, "a", ready: false));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a2", Backend("backend-a2", pa2, "a", ready: false));
        await GrpcCalls.ConsecutiveAsync(caller, 30, line => line["server"]?.GetValue<string>() == "b1");
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a2", Backend("backend-a2", pa2, "a"));
        await GrpcCalls.ConsecutiveAsync(caller, 30, line => line["server"]?.GetValue<string>() == "a2");

        // Without the policy every ready backend takes its turn again, whatever its zone.
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-a1", Backend("backend-a1", pa1, "a"));
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/meshes/m1/meshloadbalancingstrategies/stay-in-zone")).StatusCode);
        await caller.ReadUntilAsync(line => line["server"]?.GetValue<string>() == "b1", TimeSpan.FromSeconds(30));
        var plain = await GrpcCalls.AnswersAsync(caller, 300);
        Assert.All(ZoneBackends, id => Assert.InRange(plain.Count(s => s == id), 65, 135));
    }

    /// <summary>Reads answers until <paramref name="count"/> in a row went to the backend their user last went to.</summary>
    private static async Task StickyRunAsync(NodeProcess client, int count)
    {
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        var run = 0;
        await client.ReadUntilAsync(line =>
        {
            if (line["key"] is not { } key || line["server"] is not { } server) return false;
            var user = key.GetValue<string>();
            run = last.TryGetValue(user, out var before) && before == server.GetValue<string>() ? run + 1 : 0;
            last[user] = server.GetValue<string>();
            return run >= count;
        }, TimeSpan.FromSeconds(60));
    }

    /// <summary>The backends each user's next <paramref name="count"/> calls went to (errors fail the test).</summary>
    private static async Task<Dictionary<string, HashSet<string>>> OwnersAsync(NodeProcess client, int count)
    {
        var owners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var seen = 0;
        await client.ReadUntilAsync(line =>
        {
            if (line["t"] is null) return false;
            Assert.Null(line["error"]);
            var user = line["key"]!.GetValue<string>();
            (owners.TryGetValue(user, out var set) ? set : owners[user] = []).Add(line["server"]!.GetValue<string>());
            return ++seen >= count;
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(Users.Length, owners.Count);
        return owners;
    }

    private static Func<JsonNode, bool> ChangedOwner(Dictionary<string, string> owners) => line =>
        line["key"] is { } key && line["server"] is { } server && owners[key.GetValue<string>()] != server.GetValue<string>();

    private static string Backend(string name, int port, string zone, bool ready = true, string service = "backend") => $$$"""
        {"type":"Dataplane","mesh":"m1","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},"health":{"ready":{{{(ready ? "true" : "false")}}}},
           "tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc","kuma.io/zone":"{{{zone}}}"}}]}}
        """;

    /// <param name="header">A request header whose value goes through <paramref name="values"/> call by call, if any.</param>
    private NodeProcess Client(string name, string token, string? header = null, string[]? values = null) =>
        GrpcCalls.StartClient(Cp.DpPort, "m1", name, token,
            ["backend", "2", "2000", .. header is null ? Array.Empty<string>() : [header, string.Join(',', values!)]]);
}
