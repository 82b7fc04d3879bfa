using System.Diagnostics;
using Kuma.Testing;

namespace Kuma.LoadTest.Scenarios;

/// <summary>
/// The fleet, connected and quiet; then every proxy drops its connection at the same moment and
/// reconnects at once, as after a network cut. Timed until every proxy holds config again on its new
/// stream; failed streams and NACKs are counted.
/// </summary>
public sealed class ReconnectStormScenario(FleetShape shape, PolicySet policies) : IScenario
{
    public string Name => "storm";

    public static ReconnectStormScenario Create(bool full, PolicySet policies = PolicySet.Default) =>
        new(full ? new FleetShape(100, 100, 10) : new FleetShape(4, 25, 5), policies);

    public async Task<RunResult> RunAsync()
    {
        var result = new RunResult();
        await using var cp = await ControlPlaneProcess.StartAsync();
        await using var fleet = new MeshFleet(cp.ApiAddress, shape, policies);
        await fleet.PopulateAsync();
        var first = await fleet.ConnectAsync(cp.DpAddress);
        result.Add("proxies", shape.Proxies);
        result.Add("firstConnectSeconds", first.TotalSeconds);
        result.Add("loadToolOpenFilesBefore", OpenFiles());

        Console.Error.WriteLine($"storm: {shape.Proxies} proxies converged in {first.TotalSeconds:0.0} s; dropping every connection");
        var storm = Stopwatch.StartNew();
        foreach (var (_, proxy) in fleet.Proxies) proxy.DropConnection();
        await fleet.AllConverged(TimeSpan.FromMinutes(5));
        result.Add("reconvergeSeconds", storm.Elapsed.TotalSeconds);
        result.Add("loadToolOpenFilesAfter", OpenFiles());

        // Current config, not a stale one: a change made now reaches every proxy of its mesh.
        var check = await MeshFleet.PropagationAsync([.. fleet.InMesh(0)], () => fleet.AddEndpointAsync(0, "after-storm", 999));
        result.Add("changeAfterStormMs", check);
        result.AddStreamHealth(fleet);
        return result;
    }

    private static int OpenFiles() => Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : -1;
}
