using Envoy.Config.Listener.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.ProxylessServers;

/// <summary>
/// A proxyless server's listener names over the ADS server, state of the world and delta: the server's own port is
/// answered with the same version on every request, another port or garbage gets nothing and the stream lives on.
/// </summary>
public sealed class ServerListenerStreamTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private const string Own = "kuma/grpc/server?listening_address=0.0.0.0:9001";
    private static readonly string[] Asked = [Own, "kuma/grpc/server?listening_address=0.0.0.0:9002", "kuma/grpc/server?listening_address=%%garbage"];
    private ControlPlane Cp => fixture.ControlPlane;

    private async Task<HttpClient> Tenant(string name)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(name));
        await GrpcCalls.PutAsync(client, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        await GrpcCalls.PutAsync(client, "/meshes/m1/dataplanes/server-1", """
            {"type":"Dataplane","mesh":"m1","name":"server-1","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
             "inbound":[{"port":9001,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"grpc"}}]}}
            """);
        return client;
    }

    [Fact]
    public async Task State_of_the_world_answers_the_servers_own_port_only_and_the_same_version_each_time()
    {
        using var tenant = await Tenant("pl-server-sotw");
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "server-1");
        string version;
        await using (var ads = new AdsClient(fixture.DpAddress, "m1.server-1", token))
        {
            await ads.SendAsync(TypeUrls.Listener, Asked);
            var lds = await ads.NextAsync();
            var listener = Assert.Single(lds.Resources).Unpack<Listener>();
            Assert.Equal(Own, listener.Name);
            version = lds.VersionInfo;
            await ads.AckAsync(lds, Asked);
            // Asking again for the garbage alone is answered (names changed) with nothing, and the stream lives on.
            await ads.SendAsync(TypeUrls.Listener, [Asked[2]], lds.VersionInfo, lds.Nonce);
            var none = await ads.NextAsync();
            Assert.Empty(none.Resources);
        }
        // A new stream asking for the same name gets the same resource at the same version.
        await using var again = new AdsClient(fixture.DpAddress, "m1.server-1", token);
        await again.SendAsync(TypeUrls.Listener, [Own]);
        var second = await again.NextAsync();
        Assert.Equal(Own, Assert.Single(second.Resources).Unpack<Listener>().Name);
        Assert.Equal(version, second.VersionInfo);
    }

    [Fact]
    public async Task Delta_answers_the_servers_own_port_and_names_the_others_as_removed()
    {
        using var tenant = await Tenant("pl-server-delta");
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "server-1");
        string version;
        await using (var ads = new DeltaAdsClient(fixture.DpAddress, "m1.server-1", token))
        {
            await ads.SendAsync(TypeUrls.Listener, Asked);
            var lds = await ads.NextAsync();
            var resource = Assert.Single(lds.Resources);
            Assert.Equal(Own, resource.Name);
            Assert.Equal(Own, resource.Resource_.Unpack<Listener>().Name);
            Assert.Equal(Asked[1..].Order(StringComparer.Ordinal), lds.RemovedResources.Order(StringComparer.Ordinal));
            version = resource.Version;
        }
        // A caller that is not the server (no inbound on 9001) gets nothing for the same name.
        await using var other = new DeltaAdsClient(fixture.DpAddress, "m1.caller", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "caller"));
        await other.SendAsync(TypeUrls.Listener, [Own]);
        var none = await other.NextAsync();
        Assert.Empty(none.Resources);
        Assert.Equal([Own], none.RemovedResources);

        await using var again = new DeltaAdsClient(fixture.DpAddress, "m1.server-1", token);
        await again.SendAsync(TypeUrls.Listener, [Own]);
        Assert.Equal(version, Assert.Single((await again.NextAsync()).Resources).Version);
    }
}
