using System.Net;
using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Postgres;

/// <summary>What the API answered 2xx for survives the process; concurrent writers cannot both win.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Everything_written_is_read_back_by_a_new_control_plane()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("durable");
        var paths = new List<string>();
        string before;
        string token;
        await using (var first = await ControlPlane.StartAsync(database))
        {
            token = await first.CreateTenantAsync("keeper", """{"quotas":{"meshes":3}}""");
            using var tenant = first.NewClient(token);
            Assert.Equal(HttpStatusCode.Created, (await tenant.PutAsync("/meshes/store", ControlPlane.Json("{}"))).StatusCode);
            foreach (var sample in Samples.All)
            {
                var name = sample.Type == "Mesh" ? "store-2" : $"{sample.Type.ToLowerInvariant()}-1";
                var path = Samples.PathOf(sample, "store", name);
                var response = await tenant.PutAsync(path, ControlPlane.Json(sample.Body("store", name)));
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                paths.Add(path);
            }
            Assert.Equal(HttpStatusCode.OK, (await tenant.PutAsync(paths[1], ControlPlane.Json(Samples.Dataplane("store", "dataplane-1", address: "10.9.9.9")))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await tenant.DeleteAsync("/meshes/store/meshretries/mesh-retry-all-store")).StatusCode);
            before = await Dump(tenant, paths);
        }

        await using var second = await ControlPlane.StartAsync(database);
        using var again = second.NewClient(token); // the signing key came back from the store too
        Assert.Equal(before, await Dump(again, paths));
        var dataplane = JsonNode.Parse(await again.GetStringAsync(paths[1]))!;
        Assert.Equal("10.9.9.9", dataplane["networking"]!["address"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync("/meshes/store/meshretries/mesh-retry-all-store")).StatusCode);
        var tenantResource = JsonNode.Parse(await second.Client.GetStringAsync("/tenants/keeper"))!;
        Assert.Equal(3, tenantResource["quotas"]!["meshes"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_mesh_snapshot_is_rebuilt_from_the_store_at_the_same_generation()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("snapshot");
        MeshSnapshot before;
        await using (var first = await ControlPlane.StartAsync(database))
        {
            await first.Client.PutAsync("/meshes/snap", ControlPlane.Json("{}"));
            var grain = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IMeshGrain>(GrainKeys.Mesh("default", "snap"));
            var created = (await grain.GetSnapshot())!;
            await first.Client.PutAsync("/meshes/snap/dataplanes/a", ControlPlane.Json(Samples.Dataplane("snap", "a")));
            await first.Client.PutAsync("/meshes/snap/dataplanes/b", ControlPlane.Json(Samples.Dataplane("snap", "b")));
            await first.Client.DeleteAsync("/meshes/snap/dataplanes/b");
            before = (await grain.GetSnapshot())!;
            // every committed change raises it, deletions too, and the mesh grain's commit of the new service's VIP
            Assert.Equal(created.Generation + 4, before.Generation);
            Assert.Equal(["a"], before.OfType("Dataplane").Select(r => r.Key.Name));
        }
        await using var second = await ControlPlane.StartAsync(database);
        var after = (await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IMeshGrain>(GrainKeys.Mesh("default", "snap")).GetSnapshot())!;
        Assert.Equal(before.Generation, after.Generation);
        Assert.Equal(before.MeshResource, after.MeshResource);
        Assert.Equal(before.ByType.Keys, after.ByType.Keys);
        foreach (var (type, byName) in before.ByType) Assert.Equal(byName.Values, after.ByType[type].Values);
    }

    private static async Task<string> Dump(HttpClient client, IEnumerable<string> paths)
    {
        var parts = new List<string> { await client.GetStringAsync("/meshes"), await client.GetStringAsync("/meshes/store/meshtimeouts") };
        foreach (var path in paths)
        {
            var response = await client.GetAsync(path);
            parts.Add($"{path} {(int)response.StatusCode} {response.Headers.ETag} {await response.Content.ReadAsStringAsync()}");
        }
        return string.Join('\n', parts);
    }

    [Fact]
    public async Task Of_two_writes_from_the_same_version_exactly_one_wins()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("race");
        await using var cp = await ControlPlane.StartAsync(database);
        await cp.Client.PutAsync("/meshes/race", ControlPlane.Json("{}"));
        await cp.Client.PutAsync("/meshes/race/secrets/s", ControlPlane.Json("""{"data":"djE="}"""));

        for (var round = 0; round < 5; round++)
        {
            var etag = (await cp.Client.GetAsync("/meshes/race/secrets/s")).Headers.ETag!.Tag;
            async Task<HttpStatusCode> Put(string data)
            {
                using var request = new HttpRequestMessage(HttpMethod.Put, "/meshes/race/secrets/s") { Content = ControlPlane.Json($$"""{"data":"{{data}}"}""") };
                request.Headers.TryAddWithoutValidation("If-Match", etag);
                using var client = cp.NewClient();
                return (await client.SendAsync(request)).StatusCode;
            }
            var results = await Task.WhenAll(Put("YQ=="), Put("Yg=="));
            Assert.Single(results, HttpStatusCode.OK);
            Assert.Single(results, HttpStatusCode.Conflict);
        }
        var stale = new HttpRequestMessage(HttpMethod.Delete, "/meshes/race/secrets/s");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(HttpStatusCode.Conflict, (await cp.Client.SendAsync(stale)).StatusCode);
        Assert.Equal("\"6\"", (await cp.Client.GetAsync("/meshes/race/secrets/s")).Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Two_control_planes_on_one_database_never_both_win_a_stale_write()
    {
        // Two separate clusters on the same store (as during a split): only the database can arbitrate.
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("split");
        await using var a = await ControlPlane.StartAsync(database, new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = "split-a" });
        await a.Client.PutAsync("/meshes/split", ControlPlane.Json("{}"));
        await a.Client.PutAsync("/meshes/split/secrets/s", ControlPlane.Json("""{"data":"djE="}"""));
        await using var b = await ControlPlane.StartAsync(database, new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = "split-b" });

        // a's mesh grain holds version 1 in memory; b moves the row to version 2 behind its back.
        Assert.Equal(HttpStatusCode.OK, (await b.Client.PutAsync("/meshes/split/secrets/s", ControlPlane.Json("""{"data":"YQ=="}"""))).StatusCode);
        var loser = await a.Client.PutAsync("/meshes/split/secrets/s", ControlPlane.Json("""{"data":"Yg=="}"""));
        Assert.Equal(HttpStatusCode.Conflict, loser.StatusCode);
        var stored = JsonNode.Parse(await a.Client.GetStringAsync("/meshes/split/secrets/s"))!;
        Assert.Equal("YQ==", stored["data"]!.GetValue<string>());
        // Having re-read the truth, b's next write goes through.
        Assert.Equal(HttpStatusCode.OK, (await a.Client.PutAsync("/meshes/split/secrets/s", ControlPlane.Json("""{"data":"Yw=="}"""))).StatusCode);
        Assert.Equal("\"3\"", (await b.Client.GetAsync("/meshes/split/secrets/s")).Headers.ETag!.Tag);
    }
}
