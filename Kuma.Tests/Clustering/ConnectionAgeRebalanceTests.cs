using System.Globalization;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Clustering;

/// <summary>
/// KUMA_DP_SERVER_MAX_CONNECTION_AGE against live gateways: proxies drained from one gateway spread over both through a
/// load balancer that picks a gateway per connection, and a proxy drained from A catches up on B from the versions it
/// holds, including a change made while it reconnected, without ever being sent an empty or older config.
/// </summary>
public sealed class ConnectionAgeRebalanceTests
{
    private const string AgeReached = "the connection reached its maximum age; reconnect";

    [Fact]
    public async Task After_a_scale_out_proxies_drained_by_age_spread_over_both_gateways()
    {
        await using var cluster = await SiloWithGateways.StartAsync("age-spread", 2, new Dictionary<string, string>
        {
            ["KUMA_DP_SERVER_MAX_CONNECTION_AGE"] = "4s",
            ["KUMA_DP_SERVER_MAX_CONNECTION_AGE_GRACE"] = "60s",
        });
        var (a, b) = (cluster.Gateways[0], cluster.Gateways[1]);
        await MeshWithBackendAsync(a.Api);
        string[] proxies = ["p1", "p2", "p3", "p4"];
        foreach (var proxy in proxies) (await a.Api.PutAsync($"/meshes/m1/dataplanes/{proxy}", ControlPlane.Json(Samples.Dataplane("m1", proxy, proxy, "10.0.1.1", 8080)))).EnsureSuccessStatusCode();

        // Before the scale-out the balancer knows only A.
        var before = new List<AdsClient>();
        foreach (var proxy in proxies) before.Add(await ConnectSotwAsync(a, proxy, await ControlPlane.DataplaneTokenAsync(a.Api, "m1", proxy)));
        Assert.Equal((4, 0), (a.OpenStreams, b.OpenStreams));

        var balancer = new RoundRobin(a, b);
        var after = new List<AdsClient>();
        try
        {
            foreach (var (old, proxy) in before.Zip(proxies))
            {
                var end = await old.EndAsync(TimeSpan.FromSeconds(15));
                Assert.Equal((StatusCode.Unavailable, AgeReached), (end.StatusCode, end.Detail));
                after.Add(await ConnectSotwAsync(balancer.Next(), proxy, await ControlPlane.DataplaneTokenAsync(a.Api, "m1", proxy)));
            }
            await Eventually.HoldsAsync(() => Task.FromResult(a.OpenStreams == 2 && b.OpenStreams == 2), TimeSpan.FromSeconds(5),
                $"two streams on each gateway (A {a.OpenStreams}, B {b.OpenStreams})");
            // The drained connections were closed by A after GOAWAY, long before the grace (the clients still hold them).
            await Eventually.HoldsAsync(() => Task.FromResult(a.OpenDpConnections == 2), TimeSpan.FromSeconds(10),
                $"A keeps only the two new connections (it holds {a.OpenDpConnections})");
        }
        finally
        {
            foreach (var client in before.Concat(after)) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_sotw_proxy_drained_from_one_gateway_catches_up_on_the_other_without_a_gap()
    {
        await using var cluster = await AgedPairAsync("age-sotw");
        var (a, b) = (cluster.Gateways[0], cluster.Gateways[1]);
        var token = await ProxyAsync(a.Api);
        await using var onA = new AdsClient(a.DpAddress, "m1.client", token);
        await onA.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var held = await onA.NextAsync();
        Assert.Equal(["9001"], Endpoints(held.Resources.Select(r => r.Unpack<ClusterLoadAssignment>())));
        await onA.AckAsync(held, ["backend"]);

        var end = await onA.EndAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((StatusCode.Unavailable, AgeReached), (end.StatusCode, end.Detail));
        await AddBackendWhileReconnectingAsync(a.Api);

        // Envoy's first request on the new stream carries the version it accepted last.
        await using var onB = new AdsClient(b.DpAddress, "m1.client", token);
        await onB.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"], held.VersionInfo);
        var caughtUp = await onB.NextAsync();
        Assert.Equal(["9001", "9002"], Endpoints(caughtUp.Resources.Select(r => r.Unpack<ClusterLoadAssignment>())));
        Assert.NotEqual(held.VersionInfo, caughtUp.VersionInfo);
        await onB.AckAsync(caughtUp, ["backend"]);
        Assert.True(await onB.NothingWithinAsync(TimeSpan.FromMilliseconds(500)), "nothing older follows the latest");
    }

    [Fact]
    public async Task A_delta_proxy_drained_from_one_gateway_catches_up_on_the_other_without_a_gap()
    {
        await using var cluster = await AgedPairAsync("age-delta");
        var (a, b) = (cluster.Gateways[0], cluster.Gateways[1]);
        var token = await ProxyAsync(a.Api);
        await using var onA = new DeltaAdsClient(a.DpAddress, "m1.client", token);
        await onA.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var held = await onA.NextAsync();
        Assert.Equal(["9001"], Endpoints(held.Resources.Select(r => r.Resource_.Unpack<ClusterLoadAssignment>())));
        await onA.AckAsync(held);

        var end = await onA.EndAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((StatusCode.Unavailable, AgeReached), (end.StatusCode, end.Detail));
        await AddBackendWhileReconnectingAsync(a.Api);

        await using var onB = new DeltaAdsClient(b.DpAddress, "m1.client", token);
        await onB.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"],
            initialVersions: new Dictionary<string, string> { ["backend"] = held.Resources[0].Version });
        var caughtUp = await onB.NextAsync();
        Assert.Equal(["9001", "9002"], Endpoints(caughtUp.Resources.Select(r => r.Resource_.Unpack<ClusterLoadAssignment>())));
        Assert.Empty(caughtUp.RemovedResources);
        Assert.NotEqual(held.Resources[0].Version, caughtUp.Resources[0].Version);
        await onB.AckAsync(caughtUp);
        Assert.True(await onB.NothingWithinAsync(TimeSpan.FromMilliseconds(500)), "nothing older follows the latest");
    }

    /// <summary>
    /// Two gateways whose DP connections age in 8 s (time for the first config on a busy machine); the grace is long so
    /// that only the age ends streams here.
    /// </summary>
    private static Task<SiloWithGateways> AgedPairAsync(string clusterId) => SiloWithGateways.StartAsync(clusterId, 2, new Dictionary<string, string>
    {
        ["KUMA_DP_SERVER_MAX_CONNECTION_AGE"] = "8s",
        ["KUMA_DP_SERVER_MAX_CONNECTION_AGE_GRACE"] = "60s",
    });

    private static async Task MeshWithBackendAsync(HttpClient api)
    {
        (await api.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await api.PutAsync("/meshes/m1/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m1", "b1", "backend", "10.0.0.1", 9001)))).EnsureSuccessStatusCode();
    }

    /// <summary>Mesh m1 with one backend, and the dataplane 'client' whose proxy the test plays; returns its token.</summary>
    private static async Task<string> ProxyAsync(HttpClient api)
    {
        await MeshWithBackendAsync(api);
        (await api.PutAsync("/meshes/m1/dataplanes/client", ControlPlane.Json(Samples.Dataplane("m1", "client", "client", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        return await ControlPlane.DataplaneTokenAsync(api, "m1", "client");
    }

    /// <summary>An acknowledged write between the proxy's two streams.</summary>
    private static async Task AddBackendWhileReconnectingAsync(HttpClient api) =>
        (await api.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "backend", "10.0.0.2", 9002)))).EnsureSuccessStatusCode();

    /// <summary>A proxy's stream that has taken and acknowledged its endpoints.</summary>
    private static async Task<AdsClient> ConnectSotwAsync(StandaloneGateway gateway, string proxy, string token)
    {
        var client = new AdsClient(gateway.DpAddress, $"m1.{proxy}", token);
        await client.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        await client.AckAsync(await client.NextAsync(), ["backend"]);
        return client;
    }

    private static string[] Endpoints(IEnumerable<ClusterLoadAssignment> assignments) =>
        [.. assignments.SelectMany(c => c.Endpoints).SelectMany(l => l.LbEndpoints)
            .Select(e => e.Endpoint.Address.SocketAddress.PortValue.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal)];

    /// <summary>A load balancer in front of the gateways: each new connection goes to the next one.</summary>
    private sealed class RoundRobin(params StandaloneGateway[] gateways)
    {
        private int _next;

        public StandaloneGateway Next() => gateways[_next++ % gateways.Length];
    }
}
