using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Kuma.LoadTest.Baseline;

namespace Kuma.LoadTest;

/// <summary>Tenants with one mesh each, the same number of proxies and services in every mesh.</summary>
public sealed record FleetShape(int Tenants, int ProxiesPerMesh, int ServicesPerMesh)
{
    public int Proxies => Tenants * ProxiesPerMesh;
}

/// <summary>
/// The dataplanes of a <see cref="FleetShape"/>, written through the REST API, and simulated proxies
/// for them: every proxy is a sidecar with one inbound and an outbound to every service of its mesh,
/// half of them on state-of-the-world streams, half on delta streams. Every mesh holds the policies of
/// <paramref name="policies"/>, written through the API like the dataplanes.
/// </summary>
public sealed class MeshFleet(string apiAddress, FleetShape shape, PolicySet policies = PolicySet.Default) : IAsyncDisposable
{
    public const string MeshName = "mesh";

    private readonly Dictionary<int, string> _tokens = [];
    private List<(int Tenant, SimulatedProxy Proxy)> _proxies = [];

    public HttpClient Api { get; } = new() { BaseAddress = new Uri(apiAddress) };
    public FleetShape Shape { get; } = shape;
    public PolicySet Policies { get; } = policies;
    public IReadOnlyList<(int Tenant, SimulatedProxy Proxy)> Proxies => _proxies;

    public static string Tenant(int index) => $"tenant-{index}";
    public static string DataplanePath(int tenant, string name) => $"/tenants/{Tenant(tenant)}/meshes/{MeshName}/dataplanes/{name}";

    public IEnumerable<SimulatedProxy> InMesh(int tenant) => _proxies.Where(p => p.Tenant == tenant).Select(p => p.Proxy);
    public long Errors => _proxies.Sum(p => p.Proxy.Errors);
    public long Nacks => _proxies.Sum(p => p.Proxy.Nacks);

    /// <summary>Creates every tenant, mesh, dataplane and policy, and a dataplane token per mesh.</summary>
    public async Task PopulateAsync()
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16 };
        for (var t = 0; t < Shape.Tenants; t++)
        {
            await Put($"/tenants/{Tenant(t)}", "{}");
            // Without the skip list the mesh comes with Kuma's default policies, as any new mesh does.
            await Put($"/tenants/{Tenant(t)}/meshes/{MeshName}", Policies == PolicySet.None ? """{"skipCreatingInitialPolicies":["*"]}""" : "{}");
            var tenant = t;
            await Parallel.ForEachAsync(Enumerable.Range(0, Shape.ProxiesPerMesh), parallel, async (p, _) =>
                await Put(DataplanePath(tenant, $"proxy-{p}"), Dataplane(tenant, p, $"svc-{p % Shape.ServicesPerMesh}")));
            if (Policies == PolicySet.Heavy)
            {
                await Parallel.ForEachAsync(ScenarioPolicies.Heavy(MeshName, Shape.ServicesPerMesh), parallel, async (policy, _) =>
                    await Put($"/tenants/{Tenant(tenant)}/meshes/{MeshName}/{policy.Plural}/{policy.Name}", policy.Json));
            }
            // One token for the mesh, without a name: it admits any dataplane of the mesh.
            var token = await Api.PostAsJsonAsync($"/tenants/{Tenant(t)}/tokens/dataplane", new { mesh = MeshName, validFor = "24h" });
            _tokens[t] = await token.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        }
    }

    /// <summary>Starts a proxy for every dataplane (all at once) and waits until each has endpoints.</summary>
    /// <param name="dpAddress">The control plane's DP server, or a baseline server.</param>
    /// <param name="recording">When given, keeps every response each proxy receives.</param>
    /// <param name="baseline">The baseline knows no tokens; proxies present their tenant's name instead, to pick their script.</param>
    public Task<TimeSpan> ConnectAsync(string dpAddress, Recording? recording = null, bool baseline = false) =>
        ConnectAsync([dpAddress], recording, baseline);

    /// <summary>As <see cref="ConnectAsync(string, Recording?, bool)"/>, proxies spread over several DP servers (proxy i on address i mod the count).</summary>
    public async Task<TimeSpan> ConnectAsync(IReadOnlyList<string> dpAddresses, Recording? recording = null, bool baseline = false)
    {
        await DisconnectAsync();
        var started = Stopwatch.StartNew();
        for (var t = 0; t < Shape.Tenants; t++)
        {
            for (var p = 0; p < Shape.ProxiesPerMesh; p++)
            {
                var delta = p % 2 == 1;
                var proxy = new SimulatedProxy(MeshName, $"proxy-{p}", delta) { Log = recording?.For(Recording.Key(Tenant(t), $"{MeshName}.proxy-{p}"), delta) };
                proxy.Start(dpAddresses[_proxies.Count % dpAddresses.Count], baseline ? Tenant(t) : _tokens[t]);
                _proxies.Add((t, proxy));
            }
        }
        await AllConverged(TimeSpan.FromMinutes(5));
        return started.Elapsed;
    }

    /// <summary>Waits until every proxy has endpoints on its current connection.</summary>
    public Task AllConverged(TimeSpan limit) => Task.WhenAll(_proxies.Select(p => p.Proxy.Converged)).WaitAsync(limit);

    /// <summary>
    /// Runs <paramref name="change"/> and returns the milliseconds from its completion (the API's 2xx)
    /// to the moment the last of <paramref name="mustHear"/> received its new endpoints.
    /// </summary>
    public static async Task<double> PropagationAsync(IReadOnlyList<SimulatedProxy> mustHear, Func<Task> change)
    {
        var sent = Stopwatch.GetTimestamp();
        await change();
        var answered = Stopwatch.GetTimestamp();
        var arrivals = await Task.WhenAll(mustHear.Select(p => p.EndpointsAfter(sent))).WaitAsync(TimeSpan.FromSeconds(60));
        return Math.Max(0, Stopwatch.GetElapsedTime(answered, arrivals.Max()).TotalMilliseconds);
    }

    /// <summary>A new dataplane of the mesh's first service: every proxy of that mesh must get new endpoints.</summary>
    public Task AddEndpointAsync(int tenant, string name, int address) => Put(DataplanePath(tenant, name), Dataplane(tenant, address, "svc-0"));

    public async Task DeleteAsync(int tenant, string name) => (await Api.DeleteAsync(DataplanePath(tenant, name))).EnsureSuccessStatusCode();

    public async Task Put(string path, string json)
    {
        using var response = await Api.PutAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public string Dataplane(int tenant, int proxy, string service)
    {
        var outbounds = string.Join(',', Enumerable.Range(0, Shape.ServicesPerMesh).Select(s =>
            $$$"""{"port":{{{(10000 + s).ToString(CultureInfo.InvariantCulture)}}},"tags":{"kuma.io/service":"svc-{{{s.ToString(CultureInfo.InvariantCulture)}}}"}}"""));
        var address = $"10.{tenant % 250}.{proxy / 250 % 250}.{proxy % 250 + 1}";
        // The heavy variant's routes split traffic between version subsets; the other sets keep the tags they always had.
        var version = Policies == PolicySet.Heavy ? $",\"version\":\"{ScenarioPolicies.Version(proxy, Shape.ServicesPerMesh)}\"" : "";
        return $$$"""{"networking":{"address":"{{{address}}}","inbound":[{"port":8080,"servicePort":80,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"{{{version}}}}}],"outbound":[{{{outbounds}}}]}}""";
    }

    public async Task DisconnectAsync()
    {
        var proxies = _proxies;
        _proxies = [];
        await Task.WhenAll(proxies.Select(p => p.Proxy.DisposeAsync().AsTask()));
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        Api.Dispose();
    }
}
