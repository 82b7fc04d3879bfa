using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kuma.Tests.Faults;

/// <summary>
/// Issue 13, fault 1: a silo killed with SIGKILL under load. Two silos and a standalone gateway (which serves the
/// proxies and the writer), the killed silo being the one holding a mesh grain: its grains come back on the other silo,
/// every proxy holds the latest acknowledged write within the bound of the kill, and nothing acknowledged is lost.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait(FaultsCollection.Category, FaultsCollection.Faults)]
public sealed class SiloKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_silos_grains_come_back_on_the_other_and_every_proxy_converges_within_the_bound()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            var database = await server.CreateDatabaseAsync("silokill");
            await using var cluster = await ClusterProcesses.StartAsync(database, "silokill", silos: 2, gateways: 1);
            var gateway = cluster.Gateways[0];
            using var api = gateway.NewClient();
            await using var fleet = await ProxyFleet.StartAsync(api, meshCount: 4, proxyCount: 120, _ => [gateway.DpAddress]);
            await using var writer = new PolicyWriter(api, fleet.Meshes);
            writer.Mark(DateTime.UtcNow);
            await writer.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(30)); // under load before the fault

            await using var locator = await GrainLocator.StartAsync(database, cluster.ClusterId);
            var doomed = await locator.SiloOfMeshAsync(cluster, fleet.Meshes[0]);
            var doomedMeshes = new List<string>();
            foreach (var mesh in fleet.Meshes)
            {
                if (await locator.SiloPortOfMeshAsync(mesh) == doomed.SiloPort) doomedMeshes.Add(mesh);
            }

            var killedAt = DateTime.UtcNow;
            writer.Mark(killedAt);
            await doomed.KillAsync();
            await writer.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(60));
            var latest = await writer.StopAsync();
            var failures = writer.FailuresSince(killedAt);
            var converged = await fleet.ConvergedAfterAsync(latest, killedAt, TimeSpan.FromSeconds(60));

            output.WriteLine($"fault 1 (kill -9 silo {doomed.Name}, mesh grains of {string.Join(", ", doomedMeshes)}): " +
                $"{fleet.Proxies.Count} proxies on {fleet.Meshes.Length} meshes held the latest acknowledged write {converged.TotalMilliseconds:F0} ms after the kill; " +
                $"{writer.AcknowledgedCount} writes acknowledged, {failures.Count} failed after the kill");
            foreach (var failure in failures.Take(3).Concat(failures.TakeLast(3))) output.WriteLine($"  {failure}");

            Assert.Empty(await writer.LostWritesAsync(api));
            var survivor = cluster.Silos.Single(s => s != doomed);
            Assert.Equal(survivor.SiloPort, await locator.SiloPortOfMeshAsync(fleet.Meshes[0]));
            Assert.True(converged <= FaultsCollection.ConvergenceBound, $"converged {converged.TotalMilliseconds:F0} ms after the kill, bound {FaultsCollection.ConvergenceBound}");
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
