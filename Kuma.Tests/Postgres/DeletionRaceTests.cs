using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Npgsql;

namespace Kuma.Tests.Postgres;

/// <summary>Writes racing the deletion of their tenant or mesh never outlive it.</summary>
public sealed class DeletionRaceTests
{
    [Fact]
    public async Task Nothing_written_during_a_tenant_deletion_survives_it()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("race_tenant");
        await using var cp = await ControlPlane.StartAsync(database);
        for (var round = 0; round < 3; round++)
        {
            using var tenant = cp.NewClient(await cp.CreateTenantAsync("doomed"));
            foreach (var mesh in new[] { "m1", "m2" })
                Assert.Equal(HttpStatusCode.Created, (await tenant.PutAsync($"/meshes/{mesh}", ControlPlane.Json("{}"))).StatusCode);

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                var accepted = 0;
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var mesh = i % 2 == 0 ? "m1" : "m2";
                    var response = await tenant.PutAsync($"/meshes/{mesh}/dataplanes/w{w}-{i}", ControlPlane.Json(Samples.Dataplane(mesh, $"w{w}-{i}")));
                    if (response.StatusCode == HttpStatusCode.Created) accepted++;
                    if (i % 3 == 0) await tenant.PutAsync($"/meshes/m{w}", ControlPlane.Json("{}"));
                }
                return accepted;
            })).ToList();

            await WaitUntil(async () => await CountRows(database, "doomed") > 20);
            Assert.Equal(HttpStatusCode.OK, (await cp.Client.DeleteAsync("/tenants/doomed")).StatusCode);
            // Writers keep going while the edge may still honour the old token; nothing may land.
            await WaitUntil(async () => (await tenant.GetAsync("/meshes")).StatusCode == HttpStatusCode.Unauthorized);
            await stop.CancelAsync();
            Assert.True((await Task.WhenAll(writers)).Sum() > 0);

            Assert.Equal(0, await CountRows(database, "doomed"));
            using var reborn = cp.NewClient(await cp.CreateTenantAsync("doomed"));
            Assert.Equal(0, JsonNode.Parse(await reborn.GetStringAsync("/dataplanes"))!["total"]!.GetValue<int>());
            Assert.Equal(0, JsonNode.Parse(await reborn.GetStringAsync("/meshes"))!["total"]!.GetValue<int>());
            Assert.Equal(HttpStatusCode.OK, (await cp.Client.DeleteAsync("/tenants/doomed")).StatusCode);
        }
    }

    private static async Task<long> CountRows(string database, string tenant)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM kuma_resources WHERE tenant = $1", connection);
        cmd.Parameters.AddWithValue(tenant);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 30 s");
            await Task.Yield();
        }
    }
}
