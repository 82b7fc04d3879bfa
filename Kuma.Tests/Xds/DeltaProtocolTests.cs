using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Service.Discovery.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>Incremental ADS with a raw client: the proxyless flow, deletions, absent names, re-subscription, reconnects.</summary>
public sealed class DeltaProtocolTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private async Task<HttpClient> Tenant(string name, params (string Dp, int Port)[] backends)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(name));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        foreach (var (dp, port) in backends)
            (await client.PutAsync($"/meshes/m1/dataplanes/{dp}", ControlPlane.Json(Samples.Dataplane("m1", dp, "backend", "10.0.0.1", port)))).EnsureSuccessStatusCode();
        return client;
    }

    private static string[] Endpoints(DeltaDiscoveryResponse response) =>
        [.. response.Resources.Select(r => r.Resource_.Unpack<ClusterLoadAssignment>())
            .SelectMany(c => c.Endpoints).SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.PortValue.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public async Task The_proxyless_flow_works_over_delta_and_follows_deletions()
    {
        using var t1 = await Tenant("delta-t1", ("b1", 9001), ("b2", 9002));
        using var t2 = await Tenant("delta-t2", ("b3", 9003));
        await using var ads = new DeltaAdsClient(fixture.DpAddress, "m1.caller", await ControlPlane.DataplaneTokenAsync(t1, "m1", "caller"));

        await ads.SendAsync(TypeUrls.Listener, ["backend"]);
        var lds = await ads.NextAsync();
        var listener = Assert.Single(lds.Resources);
        Assert.Equal("backend", listener.Name);
        Assert.False(string.IsNullOrEmpty(listener.Version));
        Assert.NotNull(listener.Resource_.Unpack<Listener>().ApiListener);
        await ads.AckAsync(lds);

        await ads.SendAsync(TypeUrls.Cluster, ["backend"]);
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, Assert.Single((await ads.NextAsync()).Resources).Resource_.Unpack<Cluster>().Type);
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var eds = await ads.NextAsync();
        Assert.Equal(["9001", "9002"], Endpoints(eds));
        await ads.AckAsync(eds);

        Assert.Equal(HttpStatusCode.OK, (await t1.DeleteAsync("/meshes/m1/dataplanes/b2")).StatusCode);
        var update = await ads.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TypeUrls.ClusterLoadAssignment, update.TypeUrl); // only what changed
        Assert.Equal(["9001"], Endpoints(update));

        // The other tenant's caller of the same names sees only its own backend.
        await using var other = new DeltaAdsClient(fixture.DpAddress, "m1.caller", await ControlPlane.DataplaneTokenAsync(t2, "m1", "caller"));
        await other.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        Assert.Equal(["9003"], Endpoints(await other.NextAsync()));
    }

    [Fact]
    public async Task Absent_and_deleted_resources_are_named_in_removed_resources()
    {
        using var tenant = await Tenant("delta-removed", ("b1", 9001));
        await using var ads = new DeltaAdsClient(fixture.DpAddress, "m1.caller", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "caller"));
        await ads.SendAsync(TypeUrls.Cluster, ["backend", "ghost"]);
        var first = await ads.NextAsync();
        Assert.Equal(["backend"], first.Resources.Select(r => r.Name));
        Assert.Equal(["ghost"], first.RemovedResources);
        await ads.AckAsync(first);

        Assert.Equal(HttpStatusCode.OK, (await tenant.DeleteAsync("/meshes/m1/dataplanes/b1")).StatusCode);
        var removal = await ads.NextAsync();
        Assert.Empty(removal.Resources);
        Assert.Equal(["backend"], removal.RemovedResources);
    }

    [Fact]
    public async Task Unchanged_resources_are_not_resent_but_a_resubscribed_name_is()
    {
        using var tenant = await Tenant("delta-resub", ("b1", 9001));
        await using var ads = new DeltaAdsClient(fixture.DpAddress, "m1.caller", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "caller"));
        await ads.SendAsync(TypeUrls.Cluster, ["backend"]);
        var first = await ads.NextAsync();
        await ads.AckAsync(first);

        // A change elsewhere in the mesh leaves this cluster alone: nothing is sent.
        (await tenant.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "other", "10.0.0.2", 9002)))).EnsureSuccessStatusCode();
        Assert.True(await ads.NothingWithinAsync(TimeSpan.FromMilliseconds(700)));

        await ads.SendAsync(TypeUrls.Cluster, unsubscribe: ["backend"], nonce: "stale-nonce-still-counts");
        Assert.True(await ads.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        await ads.SendAsync(TypeUrls.Cluster, subscribe: ["backend"], nonce: "stale-nonce-still-counts");
        var again = await ads.NextAsync();
        Assert.Equal("backend", Assert.Single(again.Resources).Name);
        Assert.Equal(first.Resources[0].Version, again.Resources[0].Version);
    }

    [Fact]
    public async Task A_reconnecting_client_is_not_sent_what_it_already_holds()
    {
        using var tenant = await Tenant("delta-reconnect", ("b1", 9001));
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "caller");
        string version;
        await using (var ads = new DeltaAdsClient(fixture.DpAddress, "m1.caller", token))
        {
            await ads.SendAsync(TypeUrls.Cluster, ["backend"]);
            version = (await ads.NextAsync()).Resources[0].Version;
        }
        await using var again = new DeltaAdsClient(fixture.DpAddress, "m1.caller", token);
        await again.SendAsync(TypeUrls.Cluster, ["backend"], initialVersions: new Dictionary<string, string> { ["backend"] = version });
        Assert.True(await again.NothingWithinAsync(TimeSpan.FromMilliseconds(700)));
        await again.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        Assert.Equal(TypeUrls.ClusterLoadAssignment, (await again.NextAsync()).TypeUrl); // the stream is alive and serving
    }

    [Fact]
    public async Task A_wildcard_sidecar_learns_of_removed_listeners()
    {
        using var tenant = await Tenant("delta-wild");
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        await using var ads = new DeltaAdsClient(fixture.DpAddress, "m1.web", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web"));
        await ads.SendAsync(TypeUrls.Listener);
        var first = await ads.NextAsync();
        Assert.Equal(["inbound:10.0.1.1:8080", "outbound:127.0.0.1:10001"], first.Resources.Select(r => r.Name).Order(StringComparer.Ordinal));
        await ads.AckAsync(first);

        var withoutOutbound = System.Text.Json.Nodes.JsonNode.Parse(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080))!;
        withoutOutbound["networking"]!.AsObject().Remove("outbound");
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(withoutOutbound.ToJsonString()))).EnsureSuccessStatusCode();
        var update = await ads.NextAsync();
        Assert.Equal(["outbound:127.0.0.1:10001"], update.RemovedResources);
    }
}
