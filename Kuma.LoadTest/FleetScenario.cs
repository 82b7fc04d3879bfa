using System.Diagnostics;
using System.Net.Http.Json;

namespace Kuma.LoadTest;

public sealed record FleetSize(int Tenants, int ProxiesPerMesh, int ServicesPerMesh, int Changes)
{
    public static FleetSize Quick => new(4, 25, 5, 8);
    public static FleetSize Full => new(100, 100, 10, 40);
}

/// <summary>
/// Many tenants with one mesh each; every proxy is a sidecar with one inbound and an outbound to every
/// service of its mesh. Measures control-plane memory per connected proxy, and how long a one-mesh
/// change takes from the API's 2xx to the last ACK in that mesh, checking that no other mesh hears of it.
/// </summary>
public sealed class FleetScenario(ControlPlaneProcess cp, FleetSize size) : IDisposable
{
    private readonly HttpClient _api = new() { BaseAddress = new Uri($"http://127.0.0.1:{cp.ApiPort}") };

    public async Task<Dictionary<string, object>> RunAsync()
    {
        var setup = Stopwatch.StartNew();
        var tokens = new Dictionary<string, string>();
        for (var t = 0; t < size.Tenants; t++)
        {
            var tenant = $"tenant-{t}";
            (await _api.PutAsync($"/tenants/{tenant}", Json("{}"))).EnsureSuccessStatusCode();
            (await _api.PutAsync($"/tenants/{tenant}/meshes/mesh", Json("""{"skipCreatingInitialPolicies":["*"]}"""))).EnsureSuccessStatusCode();
            await Parallel.ForEachAsync(Enumerable.Range(0, size.ProxiesPerMesh), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, ct) =>
                (await _api.PutAsync($"/tenants/{tenant}/meshes/mesh/dataplanes/proxy-{p}", Json(Dataplane(t, p, $"svc-{p % size.ServicesPerMesh}")), ct)).EnsureSuccessStatusCode());
            // One token for the mesh, without a name: it admits any dataplane of the mesh.
            var token = await _api.PostAsJsonAsync($"/tenants/{tenant}/tokens/dataplane", new { mesh = "mesh", validFor = "24h" });
            tokens[tenant] = await token.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        }
        var idleRss = cp.ResidentBytes();

        var proxies = new List<(string Tenant, SimulatedProxy Proxy)>();
        var connect = Stopwatch.StartNew();
        for (var t = 0; t < size.Tenants; t++)
        {
            for (var p = 0; p < size.ProxiesPerMesh; p++)
            {
                var proxy = new SimulatedProxy("mesh", $"proxy-{p}", delta: p % 2 == 1);
                proxy.Start($"http://127.0.0.1:{cp.DpPort}", tokens[$"tenant-{t}"]);
                proxies.Add(($"tenant-{t}", proxy));
            }
        }
        await Task.WhenAll(proxies.Select(p => p.Proxy.Converged)).WaitAsync(TimeSpan.FromMinutes(5));
        var converged = connect.Elapsed;
        var connectedRss = cp.ResidentBytes();

        var propagation = new List<double>();
        var crossTalk = 0L;
        for (var change = 0; change < size.Changes; change++)
        {
            var tenant = $"tenant-{change % size.Tenants}";
            var inMesh = proxies.Where(p => p.Tenant == tenant).Select(p => p.Proxy).ToList();
            var others = proxies.Where(p => p.Tenant != tenant).Select(p => p.Proxy).ToList();
            var othersBefore = others.Sum(p => p.EndpointResponses);
            var sent = Stopwatch.GetTimestamp();
            var body = Dataplane(change % size.Tenants, 1000 + change, "svc-0");
            (await _api.PutAsync($"/tenants/{tenant}/meshes/mesh/dataplanes/extra-{change}", Json(body))).EnsureSuccessStatusCode();
            var acknowledged = Stopwatch.GetTimestamp();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (inMesh.Any(p => p.LastEndpointsAt < sent))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"change {change} did not reach every proxy of {tenant} in 30 s");
                await Task.Delay(1);
            }
            var last = inMesh.Max(p => p.LastEndpointsAt);
            propagation.Add(Math.Max(0, Stopwatch.GetElapsedTime(acknowledged, last).TotalMilliseconds));
            crossTalk += others.Sum(p => p.EndpointResponses) - othersBefore;
        }

        var errors = proxies.Sum(p => p.Proxy.Errors);
        foreach (var (_, proxy) in proxies) await proxy.DisposeAsync();
        propagation.Sort();
        var total = proxies.Count;
        return new Dictionary<string, object>
        {
            ["scenario"] = "fleet",
            ["tenants"] = size.Tenants,
            ["proxies"] = total,
            ["servicesPerMesh"] = size.ServicesPerMesh,
            ["setupSeconds"] = Math.Round(setup.Elapsed.TotalSeconds - converged.TotalSeconds, 1),
            ["convergeSeconds"] = Math.Round(converged.TotalSeconds, 2),
            ["idleRssMiB"] = Math.Round(idleRss / 1048576.0, 1),
            ["connectedRssMiB"] = Math.Round(connectedRss / 1048576.0, 1),
            ["rssPerProxyKiB"] = Math.Round((connectedRss - idleRss) / 1024.0 / total, 1),
            ["propagationP50Ms"] = Math.Round(Percentile(propagation, 0.50), 2),
            ["propagationP99Ms"] = Math.Round(Percentile(propagation, 0.99), 2),
            ["propagationMaxMs"] = Math.Round(propagation[^1], 2),
            ["changes"] = propagation.Count,
            ["endpointPushesToOtherMeshes"] = crossTalk,
            ["streamErrors"] = errors,
        };
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private string Dataplane(int tenant, int proxy, string service)
    {
        var outbounds = string.Join(',', Enumerable.Range(0, size.ServicesPerMesh).Select(s => $$$"""{"port":{{{10000 + s}}},"tags":{"kuma.io/service":"svc-{{{s}}}"}}"""));
        return $$$"""{"networking":{"address":"10.{{{tenant % 250}}}.{{{proxy / 250}}}.{{{proxy % 250 + 1}}}","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],"outbound":[{{{outbounds}}}]}}""";
    }

    public void Dispose() => _api.Dispose();

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
