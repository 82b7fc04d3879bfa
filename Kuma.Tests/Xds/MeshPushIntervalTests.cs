using Envoy.Config.Endpoint.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>
/// A mesh that changes faster than KUMA_DP_SERVER_MESH_PUSH_INTERVAL is pushed once per interval, with
/// everything that changed meanwhile (here the interval is long, so the burst surely falls inside it).
/// </summary>
public sealed class MeshPushIntervalTests : IAsyncLifetime
{
    private ControlPlane _cp = null!;

    public async Task InitializeAsync() =>
        _cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string>
        {
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_MESH_PUSH_INTERVAL"] = "3s",
        });

    public async Task DisposeAsync() => await _cp.DisposeAsync();

    [Fact]
    public async Task A_burst_of_changes_reaches_a_proxy_as_one_push_holding_all_of_them()
    {
        using var tenant = _cp.NewClient(await _cp.CreateTenantAsync("burst"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m1", "b1", "backend", "10.0.0.1", 9001)))).EnsureSuccessStatusCode();
        await using var ads = new AdsClient($"http://127.0.0.1:{_cp.DpPort}", "m1.client", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "client"));
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var first = await ads.NextAsync();
        await ads.AckAsync(first, ["backend"]);
        Assert.Equal(1, Endpoints(first));

        for (var i = 2; i <= 6; i++)
            (await tenant.PutAsync($"/meshes/m1/dataplanes/b{i}", ControlPlane.Json(Samples.Dataplane("m1", $"b{i}", "backend", $"10.0.0.{i}", 9001)))).EnsureSuccessStatusCode();

        var next = await ads.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(6, Endpoints(next));
        await ads.AckAsync(next, ["backend"]);
        Assert.True(await ads.NothingWithinAsync(TimeSpan.FromSeconds(1)));
    }

    private static int Endpoints(Envoy.Service.Discovery.V3.DiscoveryResponse response) =>
        response.Resources.Select(r => r.Unpack<ClusterLoadAssignment>()).Sum(a => a.Endpoints.Sum(l => l.LbEndpoints.Count));
}
