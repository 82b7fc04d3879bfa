using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kuma.Tests.Faults;

/// <summary>
/// Issue 13, fault 2: a gateway killed with SIGKILL. Proxies were given both gateways' addresses (half of them the
/// other way round); those of the killed one reconnect to the other and every proxy holds the latest acknowledged
/// write within the bound of the kill. The writer goes through the silo's own API, which the fault leaves alone.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait(FaultsCollection.Category, FaultsCollection.Faults)]
public sealed class GatewayKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Proxies_of_a_killed_gateway_reconnect_to_the_other_and_converge_within_the_bound()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            var database = await server.CreateDatabaseAsync("gatewaykill");
            await using var cluster = await ClusterProcesses.StartAsync(database, "gatewaykill", silos: 1, gateways: 2);
            var (doomed, survivor) = (cluster.Gateways[0], cluster.Gateways[1]);
            using var api = cluster.Silos[0].NewClient();
            await using var fleet = await ProxyFleet.StartAsync(api, meshCount: 4, proxyCount: 120,
                i => i % 2 == 0 ? [doomed.DpAddress, survivor.DpAddress] : [survivor.DpAddress, doomed.DpAddress]);
            var moving = fleet.Proxies.Where(p => p.ServedBy == doomed.DpAddress).ToList();
            Assert.Equal(fleet.Proxies.Count / 2, moving.Count);
            await using var writer = new PolicyWriter(api, fleet.Meshes);
            writer.Mark(DateTime.UtcNow);
            await writer.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(30)); // under load before the fault

            var killedAt = DateTime.UtcNow;
            writer.Mark(killedAt);
            await doomed.KillAsync();
            await writer.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(30));
            var latest = await writer.StopAsync();
            var converged = await fleet.ConvergedAfterAsync(latest, killedAt, TimeSpan.FromSeconds(60));

            var failures = writer.FailuresSince(DateTime.MinValue);
            output.WriteLine($"fault 2 (kill -9 {doomed.Name}): {moving.Count} of {fleet.Proxies.Count} proxies moved to {survivor.Name}; " +
                $"every proxy held the latest acknowledged write {converged.TotalMilliseconds:F0} ms after the kill; " +
                $"{writer.AcknowledgedCount} writes acknowledged, {failures.Count} failed");
            foreach (var failure in failures.Take(20)) output.WriteLine($"  {failure}");

            Assert.Empty(failures); // the silo's API never saw the fault
            Assert.All(fleet.Proxies, p => Assert.Equal(survivor.DpAddress, p.ServedBy));
            Assert.All(moving, p => Assert.Equal(2, p.Streams)); // one reconnect each, straight to the survivor
            Assert.All(fleet.Proxies.Except(moving), p => Assert.Equal(1, p.Streams)); // the others never noticed
            Assert.Empty(await writer.LostWritesAsync(api));
            Assert.True(converged <= FaultsCollection.ConvergenceBound, $"converged {converged.TotalMilliseconds:F0} ms after the kill, bound {FaultsCollection.ConvergenceBound}");
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
