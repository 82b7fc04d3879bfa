using Kuma.LoadTest.Baseline;
using Kuma.Testing;

namespace Kuma.LoadTest.Scenarios;

/// <summary>
/// fleet and big mesh: connect every proxy, then make one-mesh changes one at a time and time each from
/// the API's 2xx to the last proxy of that mesh holding its new endpoints. Then the same proxies connect
/// to the baseline server, which replays what the control plane sent, and the same pushes are timed.
/// </summary>
public sealed class PropagationScenario(string name, FleetShape shape, int changes, PolicySet policies) : IScenario
{
    public string Name { get; } = name;

    public static PropagationScenario Fleet(bool full, int? changes = null, PolicySet policies = PolicySet.Default) =>
        full ? new("fleet", new FleetShape(100, 100, 10), changes ?? 200, policies) : new("fleet", new FleetShape(4, 25, 5), changes ?? 8, policies);

    public static PropagationScenario BigMesh(bool full, int? changes = null, PolicySet policies = PolicySet.Default) =>
        full ? new("bigmesh", new FleetShape(1, 2000, 200), changes ?? 20, policies) : new("bigmesh", new FleetShape(1, 100, 20), changes ?? 4, policies);

    public async Task<RunResult> RunAsync()
    {
        var result = new RunResult();
        var recording = new Recording();
        var controlPlane = new List<double>();
        var undisturbed = new List<double>(); // changes during which the load tool itself did not collect garbage
        await using var cp = await ControlPlaneUnderTest.StartAsync();
        await using var fleet = new MeshFleet(cp.ApiAddress, shape, policies);
        var populate = System.Diagnostics.Stopwatch.StartNew();
        await fleet.PopulateAsync();
        result.Add("populateSeconds", populate.Elapsed.TotalSeconds);
        result.Add("policiesPerMesh", ScenarioPolicies.Count(policies, shape.ServicesPerMesh));
        var idle = cp.ResidentBytes();
        var converge = await fleet.ConnectAsync(cp.DpAddresses, recording);
        Console.Error.WriteLine($"{Name}: {shape.Proxies} proxies converged in {converge.TotalSeconds:0.0} s; making {changes} changes");
        var connected = cp.ResidentBytes();
        result.Add("proxies", shape.Proxies);
        if (ControlPlaneUnderTest.Clustered)
        {
            result.Add("silos", ControlPlaneUnderTest.Topology.Silos);
            result.Add("gateways", ControlPlaneUnderTest.Topology.Gateways);
        }
        result.Add("convergeSeconds", converge.TotalSeconds);
        result.Add("idleRssMiB", idle / 1048576.0);
        result.Add("connectedRssMiB", connected / 1048576.0);
        result.Add("rssPerProxyKiB", (connected - idle) / 1024.0 / shape.Proxies);
        await CheckPoliciesApplied(fleet, result);

        long crossTalk = 0;
        var pausedBefore = GC.GetTotalPauseDuration();
        for (var change = 1; change <= changes; change++)
        {
            var tenant = change % shape.Tenants;
            var others = fleet.Proxies.Where(p => p.Tenant != tenant).Select(p => p.Proxy).ToList();
            var before = others.Sum(p => p.EndpointResponses);
            recording.Phase = change;
            var serial = change;
            var collections = GC.CollectionCount(0);
            controlPlane.Add(await MeshFleet.PropagationAsync([.. fleet.InMesh(tenant)],
                () => fleet.AddEndpointAsync(tenant, $"extra-{serial}", 1000 + serial)));
            if (GC.CollectionCount(0) == collections) undisturbed.Add(controlPlane[^1]);
            crossTalk += others.Sum(p => p.EndpointResponses) - before;
        }
        // The proxies' own process pauses too, and a pause there delays the arrivals it timestamps.
        result.Add("loadToolGcPauseMsDuringChanges", (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds);
        result.AddStreamHealth(fleet);
        result.Add("endpointPushesToOtherMeshes", crossTalk);
        result.Require(crossTalk == 0, $"{crossTalk} endpoint responses reached proxies of meshes that did not change");
        await fleet.DisconnectAsync();
        await cp.DisposeAsync(); // the baseline gets the machine to itself, as the control plane had
        AddPercentiles(result, "", controlPlane);
        result.Add("changesWithoutLoadToolGc", undisturbed.Count);
        if (undisturbed.Count > 0) result.Add("propagationP99MsWithoutLoadToolGc", Stats.Percentile(undisturbed, 0.99));

        // The baseline streams the very bytes the control plane sent, to the same kind of proxies.
        var file = Path.Combine(Path.GetTempPath(), $"kuma-load-{Environment.ProcessId}-{Guid.NewGuid():N}.rec");
        try
        {
            await recording.SaveAsync(file);
            await using var baseline = await BaselineProcess.StartAsync(file);
            var baselineConverge = await fleet.ConnectAsync(baseline.DpAddress, baseline: true);
            result.Add("baselineConvergeSeconds", baselineConverge.TotalSeconds);
            var replayed = new List<double>();
            for (var change = 1; change <= changes; change++)
            {
                var phase = change;
                replayed.Add(await MeshFleet.PropagationAsync([.. fleet.InMesh(change % shape.Tenants)], () => baseline.PushAsync(phase)));
            }
            result.AddStreamHealth(fleet, "baseline.");
            // Before the baseline goes: proxies that lose their server retry, and would fill the log doing so.
            await fleet.DisconnectAsync();
            AddPercentiles(result, "baseline.", replayed);
            result.Add("ratioP50", result.Figures["propagationP50Ms"] / Math.Max(0.01, result.Figures["baseline.propagationP50Ms"]));
            result.Add("ratioP99", result.Figures["propagationP99Ms"] / Math.Max(0.01, result.Figures["baseline.propagationP99Ms"]));
        }
        finally
        {
            File.Delete(file);
        }
        return result;
    }

    /// <summary>
    /// The policies shape what the proxies get: one proxy's config, as the API shows it, carries what each
    /// policy type puts there (and nothing of them when the mesh has none).
    /// </summary>
    private static async Task CheckPoliciesApplied(MeshFleet fleet, RunResult result)
    {
        var config = await fleet.Api.GetStringAsync($"/tenants/{MeshFleet.Tenant(0)}/meshes/{MeshFleet.MeshName}/dataplanes/proxy-0/_config");
        result.Add("proxyConfigJsonKiB", config.Length / 1024.0);
        string[] markers = fleet.Policies switch
        {
            PolicySet.None => [],
            // 1800s and 1200s: the stream idle timeout of outbound routes, from the default MeshTimeout and from the heavy set's.
            PolicySet.Default => ["\"retryPolicy\"", "\"circuitBreakers\"", "\"1800s\""],
            _ => ["\"retryPolicy\"", "\"circuitBreakers\"", "\"1200s\"", "\"outlierDetection\"", "\"weightedClusters\"", "envoy.filters.http.fault", "x-caller"],
        };
        foreach (var marker in markers)
            result.Require(config.Contains(marker, StringComparison.Ordinal), $"proxy-0's config lacks {marker} with {ScenarioPolicies.Label(fleet.Policies)} policies");
        if (fleet.Policies == PolicySet.None)
            result.Require(!config.Contains("\"retryPolicy\"", StringComparison.Ordinal), "proxy-0's config has a retry policy though the mesh has no policies");
    }

    private static void AddPercentiles(RunResult result, string prefix, List<double> sample)
    {
        result.Add($"{prefix}changes", sample.Count);
        result.Add($"{prefix}propagationP50Ms", Stats.Percentile(sample, 0.50));
        result.Add($"{prefix}propagationP99Ms", Stats.Percentile(sample, 0.99));
        result.Add($"{prefix}propagationMaxMs", sample.Max());
    }
}
