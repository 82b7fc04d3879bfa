using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>The rules of state-of-the-world ADS, each asserted with a raw client against the real server.</summary>
public sealed class SotwProtocolTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private async Task<(HttpClient Tenant, string Mesh)> MeshWithBackends(string tenant, params (string Name, string Ip, int Port)[] backends)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(tenant));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        foreach (var (name, ip, port) in backends)
            (await client.PutAsync($"/meshes/m1/dataplanes/{name}", ControlPlane.Json(Samples.Dataplane("m1", name, "backend", ip, port)))).EnsureSuccessStatusCode();
        return (client, "m1");
    }

    private async Task<AdsClient> Connect(HttpClient tenant, string name, bool tokenInMetadata = false)
    {
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", name);
        return new AdsClient(fixture.DpAddress, $"m1.{name}", token, tokenInMetadata: tokenInMetadata);
    }

    [Fact]
    public async Task A_proxyless_client_gets_listener_with_inline_routes_cluster_and_endpoints_by_name()
    {
        var (tenant, _) = await MeshWithBackends("sotw-proxyless", ("b1", "10.0.0.1", 9001), ("b2", "10.0.0.2", 9002));
        await using var ads = await Connect(tenant, "client", tokenInMetadata: true);

        await ads.SendAsync(TypeUrls.Listener, ["backend"]);
        var lds = await ads.NextAsync();
        Assert.Equal(TypeUrls.Listener, lds.TypeUrl);
        var listener = Assert.Single(lds.Resources).Unpack<Listener>();
        Assert.Equal("backend", listener.Name);
        var hcm = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.Equal("envoy.filters.http.router", hcm.HttpFilters[^1].Name);
        await ads.AckAsync(lds, ["backend"]);

        // Routes travel inside the listener: grpc-js applies a changed listener only with a changed route.
        var route = hcm.RouteConfig;
        Assert.Equal("backend", route.Name);
        Assert.Equal(["*"], route.VirtualHosts[0].Domains);
        Assert.Equal("backend", route.VirtualHosts[0].Routes[0].Route_.Cluster);

        await ads.SendAsync(TypeUrls.Cluster, ["backend"]);
        var cds = await ads.NextOfTypeAsync(TypeUrls.Cluster);
        var cluster = Assert.Single(cds.Resources).Unpack<Cluster>();
        Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);

        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var eds = await ads.NextOfTypeAsync(TypeUrls.ClusterLoadAssignment);
        var endpoints = Assert.Single(eds.Resources).Unpack<ClusterLoadAssignment>();
        Assert.Equal(["10.0.0.1:9001", "10.0.0.2:9002"],
            endpoints.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => $"{e.Endpoint.Address.SocketAddress.Address}:{e.Endpoint.Address.SocketAddress.PortValue}"));
        Assert.NotNull(endpoints.Endpoints[0].Locality);
    }

    [Fact]
    public async Task A_wildcard_sidecar_gets_its_inbound_and_outbound_listeners_and_clusters()
    {
        var (tenant, _) = await MeshWithBackends("sotw-sidecar", ("b1", "10.0.0.1", 9001));
        (await tenant.PutAsync("/meshes/m1/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("m1", "web-1", "web", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        await using var ads = await Connect(tenant, "web-1");

        await ads.SendAsync(TypeUrls.Cluster);
        var cds = await ads.NextAsync();
        Assert.Equal(["backend", "localhost:80"], cds.Resources.Select(r => r.Unpack<Cluster>().Name).Order(StringComparer.Ordinal));
        await ads.AckAsync(cds);
        await ads.SendAsync(TypeUrls.Listener);
        var lds = await ads.NextOfTypeAsync(TypeUrls.Listener);
        Assert.Equal(["inbound:10.0.1.1:8080", "outbound:127.0.0.1:10001"], lds.Resources.Select(r => r.Unpack<Listener>().Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Wrong_expired_or_mismatched_tokens_end_the_stream_before_any_config()
    {
        var (tenant, _) = await MeshWithBackends("sotw-auth", ("b1", "10.0.0.1", 9001));
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "client");
        var otherTenant = Cp.NewClient(await Cp.CreateTenantAsync("sotw-auth-other"));
        (await otherTenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var foreignToken = await ControlPlane.DataplaneTokenAsync(otherTenant, "m1", "client");

        foreach (var (nodeId, presented) in new[]
        {
            ("m1.client", (string?)null),
            ("m1.client", "garbage"),
            ("m1.client", token[..^4] + "AAAA"),
            ("m1.someone-else", token),
            ("m2.client", token),
            ("noseparator", token),
        })
        {
            await using var ads = new AdsClient(fixture.DpAddress, nodeId, presented);
            await ads.SendAsync(TypeUrls.Listener, ["backend"]);
            Assert.Equal(StatusCode.Unauthenticated, await ads.StatusAsync());
        }

        // A token of another tenant's mesh of the same name sees that tenant's mesh, never this one.
        await using var foreign = new AdsClient(fixture.DpAddress, "m1.client", foreignToken);
        await foreign.SendAsync(TypeUrls.Listener, ["backend"]);
        Assert.Empty((await foreign.NextAsync()).Resources);
    }

    [Fact]
    public async Task Adding_a_dataplane_pushes_new_endpoints_at_once()
    {
        var (tenant, _) = await MeshWithBackends("sotw-push", ("b1", "10.0.0.1", 9001));
        await using var ads = await Connect(tenant, "client");
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var first = await ads.NextAsync();
        await ads.AckAsync(first, ["backend"]);

        (await tenant.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "backend", "10.0.0.2", 9002)))).EnsureSuccessStatusCode();
        var pushed = await ads.NextAsync(TimeSpan.FromSeconds(5));
        Assert.NotEqual(first.VersionInfo, pushed.VersionInfo);
        Assert.Equal(2, pushed.Resources[0].Unpack<ClusterLoadAssignment>().Endpoints.SelectMany(l => l.LbEndpoints).Count());
    }
}
