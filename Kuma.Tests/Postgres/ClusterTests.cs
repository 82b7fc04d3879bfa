using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Npgsql;

namespace Kuma.Tests.Postgres;

/// <summary>Two silos clustered through our own Orleans schema on Postgres serve one API: same answers from either.</summary>
public sealed class ClusterTests
{
    [Fact]
    public async Task Two_postgres_clustered_silos_serve_the_same_results()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("cluster");
        var sameCluster = new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = "shared" };
        await using var a = await ControlPlane.StartAsync(database, sameCluster);
        await using var b = await ControlPlane.StartAsync(database, sameCluster);

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = 'shared' AND status = 3", connection);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            long silos;
            while ((silos = (long)(await active.ExecuteScalarAsync())!) < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(2, silos);
        }

        var tokenFromA = await a.CreateTenantAsync("both");
        using var viaA = a.NewClient(tokenFromA);
        using var viaB = b.NewClient(tokenFromA); // one signing key for the whole cluster
        for (var m = 0; m < 6; m++)
        {
            var writer = m % 2 == 0 ? viaA : viaB;
            Assert.Equal(HttpStatusCode.Created, (await writer.PutAsync($"/meshes/mesh-{m}", ControlPlane.Json("{}"))).StatusCode);
            for (var d = 0; d < 3; d++)
            {
                var name = $"dp-{d}";
                var other = writer == viaA ? viaB : viaA;
                Assert.Equal(HttpStatusCode.Created, (await other.PutAsync($"/meshes/mesh-{m}/dataplanes/{name}", ControlPlane.Json(Samples.Dataplane($"mesh-{m}", name)))).StatusCode);
            }
        }
        foreach (var path in new[] { "/meshes", "/dataplanes?size=7", "/meshes/mesh-3/dataplanes/dp-1", "/meshes/mesh-5/meshtimeouts" })
        {
            // `next` links name the server that was asked; everything else must be identical.
            var fromA = (await viaA.GetStringAsync(path)).Replace($":{a.ApiPort}/", ":port/", StringComparison.Ordinal);
            var fromB = (await viaB.GetStringAsync(path)).Replace($":{b.ApiPort}/", ":port/", StringComparison.Ordinal);
            Assert.Equal(fromA, fromB);
        }

        // Updating through one silo and reading through the other sees the new version at once.
        Assert.Equal(HttpStatusCode.OK, (await viaB.PutAsync("/meshes/mesh-0/dataplanes/dp-0", ControlPlane.Json(Samples.Dataplane("mesh-0", "dp-0", address: "10.1.1.1")))).StatusCode);
        var seen = JsonNode.Parse(await viaA.GetStringAsync("/meshes/mesh-0/dataplanes/dp-0"))!;
        Assert.Equal("10.1.1.1", seen["networking"]!["address"]!.GetValue<string>());
        Assert.Equal(18, JsonNode.Parse(await viaB.GetStringAsync("/dataplanes"))!["total"]!.GetValue<int>());
    }
}
