using System.Diagnostics;
using System.Net;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kuma.Tests.Faults;

/// <summary>
/// Issue 13, fault 3: PostgreSQL stopped for 30 s under a cluster of two silos and a gateway. Proxies keep their config
/// and their streams; writes answer 503 with Kuma's error shape and leave nothing behind; reads the grains can serve
/// keep answering; once the store is back, writes succeed, nothing acknowledged is lost or doubled, and proxies take
/// the writes made after the recovery within the bound.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait(FaultsCollection.Category, FaultsCollection.Faults)]
public sealed class StoreOutageFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    private const string StoreDownBody =
        """{"type":"/std-errors","status":503,"title":"Service Unavailable","detail":"the store is unavailable; try again shortly","details":"the store is unavailable; try again shortly"}""";

    [Fact]
    public async Task Thirty_seconds_without_postgres_cost_no_stream_no_config_and_no_acknowledged_write()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            var database = await server.CreateDatabaseAsync("storeoutage");
            await using var cluster = await ClusterProcesses.StartAsync(database, "storeoutage", silos: 2, gateways: 1,
                new Dictionary<string, string> { ["KUMA_STORE_TIMEOUT"] = "2s" });
            var gateway = cluster.Gateways[0];
            using var api = gateway.NewClient(TimeSpan.FromSeconds(15));
            await using var fleet = await ProxyFleet.StartAsync(api, meshCount: 3, proxyCount: 90, _ => [gateway.DpAddress]);
            await using var writer = new PolicyWriter(api, fleet.Meshes);
            writer.Mark(DateTime.UtcNow);
            await writer.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(30));
            var before = await writer.StopAsync();
            await fleet.ConvergedAfterAsync(before, DateTime.UtcNow, TimeSpan.FromSeconds(30));
            var streamsBefore = fleet.Proxies.Select(p => (p.Streams, p.Endings.Count)).ToList();
            var mesh = fleet.Meshes[0];
            var reads = new[] { $"/meshes/{mesh}/dataplanes/dp-000/_config", $"/meshes/{mesh}/dataplanes+insights" };

            await server.StopServingAsync();
            var stopped = Stopwatch.StartNew();
            var writes = new List<string>();
            var readAnswers = new List<string>();
            var attempt = 0;
            try
            {
                // Keep asking during the whole outage, one round a second, as a client retrying would.
                while (stopped.Elapsed < Outage)
                {
                    attempt++;
                    writes.Add(await AnswerAsync(api.PutAsync($"/meshes/{mesh}/secrets/down-{attempt}",
                        ControlPlane.Json($$"""{"type":"Secret","mesh":"{{mesh}}","name":"down-{{attempt}}","data":"ZG93bg=="}"""))));
                    writes.Add(await AnswerAsync(api.PutAsync($"/meshes/{mesh}/meshtimeouts/fault-timeout", ControlPlane.Json(PolicyWriter.Timeout(mesh, 1)))));
                    foreach (var path in reads) readAnswers.Add($"{path} {(int)(await api.GetAsync(path)).StatusCode}");
                    var pause = TimeSpan.FromSeconds(attempt) - stopped.Elapsed;
                    if (pause > TimeSpan.Zero) await Task.Delay(pause);
                }
            }
            finally
            {
                await server.ResumeServingAsync();
            }
            var resumed = DateTime.UtcNow;

            output.WriteLine($"fault 3: PostgreSQL down {stopped.Elapsed.TotalSeconds:F1} s; {writes.Count} writes and {readAnswers.Count} reads during it");
            Assert.All(writes, w => Assert.Equal($"503 Retry-After 2 {StoreDownBody}", w));
            Assert.All(readAnswers, r => Assert.EndsWith(" 200", r, StringComparison.Ordinal));
            Assert.Equal(streamsBefore, fleet.Proxies.Select(p => (p.Streams, p.Endings.Count)).ToList()); // no stream ended
            Assert.All(fleet.Proxies, p => Assert.Equal(before[p.Mesh], p.Current)); // every proxy kept its config

            // Everything acknowledged before the outage is still there, as it was.
            Assert.Empty(await writer.LostWritesAsync(api));

            // The first writes after the return succeed, and proxies take them.
            await using var recovery = new PolicyWriter(api, fleet.Meshes, after: 10_000);
            recovery.Mark(resumed);
            await recovery.AcknowledgedSinceMarkAsync(TimeSpan.FromSeconds(30));
            var firstFailures = recovery.FailuresSince(resumed);
            var after = await recovery.StopAsync();
            var acknowledgedAt = recovery.LastAcknowledgedAt;
            var converged = await fleet.ConvergedAfterAsync(after, m => acknowledgedAt[m], TimeSpan.FromSeconds(30));
            output.WriteLine($"after the return: {firstFailures.Count} writes failed; proxies held the last acknowledged write " +
                $"{converged.TotalMilliseconds:F0} ms after it was acknowledged");
            foreach (var failure in firstFailures.Take(10)) output.WriteLine($"  {failure}");

            Assert.Empty(firstFailures);
            Assert.Empty(await recovery.LostWritesAsync(api));
            // Nothing the outage refused was half-applied: no secret of it exists, and the list names each secret once.
            Assert.DoesNotContain(await PolicyWriter.SecretNamesAsync(api, mesh), n => n.StartsWith("down-", StringComparison.Ordinal));
            Assert.True(converged <= FaultsCollection.ConvergenceBound, $"converged {converged.TotalMilliseconds:F0} ms after the write, bound {FaultsCollection.ConvergenceBound}");
            await cluster.WaitForActiveSilosAsync(2, TimeSpan.Zero); // neither silo was declared dead for want of its table
        }
        finally
        {
            await server.StopAsync();
        }
    }

    private static async Task<string> AnswerAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return $"{(int)response.StatusCode} Retry-After {response.Headers.RetryAfter} {await response.Content.ReadAsStringAsync()}";
    }
}
