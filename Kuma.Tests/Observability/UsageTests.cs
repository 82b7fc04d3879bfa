using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Observability;

public sealed class UsageTests
{
    [Fact]
    public async Task A_tenants_usage_sums_what_every_api_node_saw()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("usage");
        await using var cluster = await TwoSiloCluster.StartAsync(database, "usage");
        using var viaSurvivor = await ProcessTenant.CreateAsync($"http://127.0.0.1:{cluster.Survivor.ApiPort}", "billed");
        using var viaDoomed = new HttpClient { BaseAddress = new Uri(cluster.Doomed.ApiAddress) };
        viaDoomed.DefaultRequestHeaders.Authorization = viaSurvivor.DefaultRequestHeaders.Authorization;

        await ProcessTenant.PutMeshAndDataplaneAsync(viaSurvivor, "b1"); // 2 calls on the in-process node
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await viaDoomed.GetAsync("/meshes/m1")).StatusCode); // 3 on the other
        await using var ads = await ProcessTenant.ConnectAsync(cluster.Doomed.DpAddress, viaDoomed, "b1"); // 1 more there (the token)
        await ads.SendAsync(TypeUrls.Cluster);
        await ads.AckAsync(await ads.NextOfTypeAsync(TypeUrls.Cluster));

        // The admin reads it (its own calls are not the tenant's); each node reports every few seconds.
        JsonNode usage = new JsonObject();
        await Eventually.HoldsAsync(async () =>
        {
            usage = JsonNode.Parse(await cluster.Survivor.Client.GetStringAsync("/tenants/billed/usage?window=10m"))!;
            return usage["apiCalls"]!.GetValue<long>() == 6 && usage["connectedProxies"]!.GetValue<int>() == 1 && usage["configPushes"]!.GetValue<long>() >= 1;
        }, TimeSpan.FromSeconds(20), "both nodes' figures reach the tenant's usage");
        Assert.Equal(
            ["tenant", "window", "from", "to", "meshes", "dataplanes", "connectedProxies", "apiCalls", "configPushes"],
            usage.AsObject().Select(p => p.Key));
        Assert.Equal(("billed", "10m", 1L, 1L), (usage["tenant"]!.GetValue<string>(), usage["window"]!.GetValue<string>(), usage["meshes"]!.GetValue<long>(), usage["dataplanes"]!.GetValue<long>()));
        var (from, to) = (usage["from"]!.GetValue<DateTime>(), usage["to"]!.GetValue<DateTime>());
        Assert.Equal(TimeSpan.FromMinutes(10), to - from);

        // The tenant reads its own through /usage; another window is refused in Kuma's error shape.
        Assert.Equal("billed", JsonNode.Parse(await viaDoomed.GetStringAsync("/usage"))!["tenant"]!.GetValue<string>());
        var refused = await viaDoomed.GetAsync("/usage?window=48h");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("window", error["invalid_parameters"]![0]!["field"]!.GetValue<string>());

        // A tenant's token reads no other tenant's usage, and the answer is the same whether that tenant exists or not.
        // (Callers without a token are refused before routing, as ApiDispatcher's other routes; here on loopback Kuma's
        // localhost-is-admin would make them the admin.)
        using var other = await ProcessTenant.CreateAsync($"http://127.0.0.1:{cluster.Survivor.ApiPort}", "other");
        var foreign = await viaDoomed.GetAsync("/tenants/other/usage");
        var missing = await viaDoomed.GetAsync("/tenants/nobody/usage");
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (foreign.StatusCode, missing.StatusCode));
        Assert.Equal(await missing.Content.ReadAsStringAsync(), await foreign.Content.ReadAsStringAsync());
        Assert.Equal("billed", JsonNode.Parse(await viaDoomed.GetStringAsync("/tenants/billed/usage"))!["tenant"]!.GetValue<string>());
    }
}
