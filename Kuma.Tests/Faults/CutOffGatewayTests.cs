using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;
using Xunit.Abstractions;

namespace Kuma.Tests.Faults;

/// <summary>
/// Issue 13, fault 4: a gateway cut off from running silos. The gateway reaches the silo's Orleans gateway port
/// through a <see cref="TcpRelay"/> (the silo advertises the relay's port and listens on another); cutting the relay
/// is a partition between them alone. The gateway must then say it is not ready (<c>GET /ready</c> on its
/// diagnostics port answers 503) and refuse new ADS streams with UNAVAILABLE, and take both back once the
/// partition heals.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait(FaultsCollection.Category, FaultsCollection.Faults)]
public sealed class CutOffGatewayTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Notice = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_gateway_cut_off_from_the_silos_is_not_ready_and_refuses_new_streams_until_it_is_reconnected()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            var database = await server.CreateDatabaseAsync("cutoff");
            var (advertised, listening) = (FreePort.Next(), FreePort.Next());
            await using var relay = new TcpRelay(advertised, listening);
            await using var cluster = await ClusterProcesses.StartAsync(database, "cutoff", silos: 1, gateways: 1, new Dictionary<string, string>
            {
                ["KUMA_CLUSTER_GATEWAY_PORT"] = advertised.ToString(CultureInfo.InvariantCulture),
                ["KUMA_CLUSTER_GATEWAY_LISTEN_PORT"] = listening.ToString(CultureInfo.InvariantCulture),
            });
            var gateway = cluster.Gateways[0];
            Assert.True(relay.Relayed > 0, "the gateway reaches the silo through the relay");
            using var api = cluster.Silos[0].NewClient();
            using var diagnostics = new HttpClient { BaseAddress = new Uri(gateway.DiagnosticsAddress), Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal(HttpStatusCode.Created, (await api.PutAsync("/meshes/cut", ControlPlane.Json("{}"))).StatusCode);
            var tokens = new Dictionary<string, string>();
            foreach (var name in new[] { "before", "during", "after" })
            {
                Assert.Equal(HttpStatusCode.Created, (await api.PutAsync($"/meshes/cut/dataplanes/{name}", ControlPlane.Json(Samples.Dataplane("cut", name)))).StatusCode);
                tokens[name] = await ControlPlane.DataplaneTokenAsync(api, "cut", name);
            }

            Assert.Equal(HttpStatusCode.OK, (await diagnostics.GetAsync("/ready")).StatusCode);
            await using (var before = new AdsClient(gateway.DpAddress, "cut.before", tokens["before"]))
            {
                await before.SendAsync(TypeUrls.Cluster);
                Assert.NotEmpty((await before.NextOfTypeAsync(TypeUrls.Cluster)).Resources);
            }

            await relay.CutAsync();
            var cut = Stopwatch.StartNew();
            await Eventually.HoldsAsync(async () => (await diagnostics.GetAsync("/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
                Notice, "the cut-off gateway answers /ready with 503");
            var notReadyAfter = cut.Elapsed;
            Assert.Equal(HttpStatusCode.OK, (await diagnostics.GetAsync("/healthy")).StatusCode); // alive, only not ready
            await using (var during = new AdsClient(gateway.DpAddress, "cut.during", tokens["during"]))
            {
                await during.SendAsync(TypeUrls.Cluster);
                Assert.Equal(StatusCode.Unavailable, await during.StatusAsync(TimeSpan.FromSeconds(10)));
            }

            relay.Restore();
            var restored = Stopwatch.StartNew();
            await Eventually.HoldsAsync(async () => (await diagnostics.GetAsync("/ready")).StatusCode == HttpStatusCode.OK,
                Notice, "the reconnected gateway answers /ready with 200");
            var readyAfter = restored.Elapsed;
            await using (var after = new AdsClient(gateway.DpAddress, "cut.after", tokens["after"]))
            {
                await after.SendAsync(TypeUrls.Cluster);
                Assert.NotEmpty((await after.NextOfTypeAsync(TypeUrls.Cluster)).Resources);
            }
            output.WriteLine($"fault 4 (gateway cut off from the silo): not ready {notReadyAfter.TotalMilliseconds:F0} ms after the cut, " +
                $"ready again {readyAfter.TotalMilliseconds:F0} ms after the partition healed");
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
