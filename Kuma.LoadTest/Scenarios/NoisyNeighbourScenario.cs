using System.Diagnostics;
using Kuma.Testing;

namespace Kuma.LoadTest.Scenarios;

/// <summary>
/// The fleet, while tenant 0 adds and deletes dataplanes at a steady rate: the other tenants' one-mesh
/// changes are timed first in quiet, then under that noise, against the same control plane.
/// </summary>
public sealed class NoisyNeighbourScenario(FleetShape shape, int changes, int writesPerSecond, PolicySet policies) : IScenario
{
    private const int Noisy = 0;

    public string Name => "noisy";

    public static NoisyNeighbourScenario Create(bool full, int? changes = null, PolicySet policies = PolicySet.Default) =>
        full ? new(new FleetShape(100, 100, 10), changes ?? 100, 50, policies) : new(new FleetShape(4, 25, 5), changes ?? 6, 50, policies);

    public async Task<RunResult> RunAsync()
    {
        var result = new RunResult();
        await using var cp = await ControlPlaneProcess.StartAsync();
        await using var fleet = new MeshFleet(cp.ApiAddress, shape, policies);
        await fleet.PopulateAsync();
        await fleet.ConnectAsync(cp.DpAddress);
        result.Add("proxies", shape.Proxies);

        var serial = 0;
        async Task<List<double>> QuietTenantChanges()
        {
            var sample = new List<double>();
            for (var i = 0; i < changes; i++)
            {
                var tenant = 1 + i % (shape.Tenants - 1);
                var n = ++serial;
                sample.Add(await MeshFleet.PropagationAsync([.. fleet.InMesh(tenant)], () => fleet.AddEndpointAsync(tenant, $"extra-{n}", 1000 + n)));
            }
            return sample;
        }

        var quiet = await QuietTenantChanges();
        using var stopNoise = new CancellationTokenSource();
        var noise = MakeNoise(fleet, stopNoise.Token);
        var noisy = await QuietTenantChanges();
        await stopNoise.CancelAsync();
        var (writes, seconds) = await noise;

        // The noisy tenant's own proxies must still follow: one more change there reaches all of them.
        var settled = await MeshFleet.PropagationAsync([.. fleet.InMesh(Noisy)], () => fleet.AddEndpointAsync(Noisy, "settled", 999));
        result.Add("noisyTenantSettledMs", settled);

        result.Add("quietP50Ms", Stats.Percentile(quiet, 0.50));
        result.Add("quietP99Ms", Stats.Percentile(quiet, 0.99));
        result.Add("noisyP50Ms", Stats.Percentile(noisy, 0.50));
        result.Add("noisyP99Ms", Stats.Percentile(noisy, 0.99));
        result.Add("p99Ratio", Stats.Percentile(noisy, 0.99) / Math.Max(0.01, Stats.Percentile(quiet, 0.99)));
        result.Add("changesPerPhase", changes);
        result.Add("noiseWritesPerSecond", writes / seconds);
        result.AddStreamHealth(fleet);
        return result;
    }

    /// <summary>
    /// Every tick adds one dataplane to the noisy mesh and deletes the one added five ticks before, without
    /// waiting for earlier writes, so the rate holds however long a write takes.
    /// </summary>
    /// <returns>Writes made (adds and deletes) and the seconds they took.</returns>
    private async Task<(int Writes, double Seconds)> MakeNoise(MeshFleet fleet, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var writes = new List<Task>();
        var adds = new List<Task>();
        using var ticks = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / writesPerSecond));
        try
        {
            for (var i = 0; await ticks.WaitForNextTickAsync(stop); i++)
            {
                adds.Add(fleet.AddEndpointAsync(Noisy, $"noise-{i}", 2000 + i % 5000));
                writes.Add(adds[^1]);
                if (i >= 5) writes.Add(DeleteAfter(adds[i - 5], $"noise-{i - 5}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(writes);
        return (writes.Count, clock.Elapsed.TotalSeconds);

        async Task DeleteAfter(Task add, string name)
        {
            await add;
            await fleet.DeleteAsync(Noisy, name);
        }
    }
}
