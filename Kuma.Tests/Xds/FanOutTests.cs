using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

public sealed class FanOutTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private const int Proxies = 100;

    [Fact]
    public async Task A_new_dataplane_reaches_and_is_acknowledged_by_100_connected_proxies()
    {
        var cp = fixture.ControlPlane;
        using var tenant = cp.NewClient(await cp.CreateTenantAsync("fan-out"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m1", "b1", "backend", "10.0.0.1", 9001)))).EnsureSuccessStatusCode();

        var clients = new List<AdsClient>();
        try
        {
            foreach (var i in Enumerable.Range(0, Proxies))
            {
                var name = $"p{i}";
                var ads = new AdsClient(fixture.DpAddress, $"m1.{name}", await ControlPlane.DataplaneTokenAsync(tenant, "m1", name));
                clients.Add(ads);
                await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
            }
            var initial = await Task.WhenAll(clients.Select(async c =>
            {
                var response = await c.NextAsync(TimeSpan.FromSeconds(30));
                await c.AckAsync(response, ["backend"]);
                return response.VersionInfo;
            }));
            Assert.Single(initial.Distinct());

            (await tenant.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "backend", "10.0.0.2", 9002)))).EnsureSuccessStatusCode();
            var pushed = await Task.WhenAll(clients.Select(async c =>
            {
                var response = await c.NextAsync(TimeSpan.FromSeconds(30));
                await c.AckAsync(response, ["backend"]);
                return response.VersionInfo;
            }));
            var version = Assert.Single(pushed.Distinct());
            Assert.NotEqual(initial[0], version);

            // Each proxy's acknowledgement is visible in its insight.
            var pending = Enumerable.Range(0, Proxies).Select(i => $"p{i}").ToHashSet();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (pending.Count > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{pending.Count} proxies did not report the ACK of {version}");
                foreach (var name in pending.ToList())
                {
                    var overview = JsonNode.Parse(await tenant.GetStringAsync($"/meshes/m1/dataplanes/{name}/_overview"))!;
                    var eds = overview["dataplaneInsight"]!["subscriptions"]![0]!["status"]!["eds"];
                    if (eds?["lastAckedVersion"]?.GetValue<string>() == version) pending.Remove(name);
                }
                if (pending.Count > 0) await Task.Yield();
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }
}
