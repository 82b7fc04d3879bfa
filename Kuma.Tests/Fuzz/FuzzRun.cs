using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Kuma.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kuma.Tests.Fuzz;

/// <summary>
/// The run's seed: fixed, so CI is reproducible, and overridable with <c>KUMA_FUZZ_SEED</c> to explore
/// or to replay a reported run. Every generated input draws from a <see cref="Random"/> seeded by
/// (seed, suite, index), so an input does not depend on how concurrent workers interleave.
/// </summary>
public static class FuzzSeed
{
    public const int Default = 20_260_101;

    public static int Value { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("KUMA_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : Default;

    public static Random For(string suite, int index)
    {
        // A stable hash (string.GetHashCode is randomized per process).
        var h = (uint)Value;
        foreach (var c in suite) h = (h ^ c) * 16_777_619;
        h = (h ^ (uint)index) * 16_777_619;
        return new Random((int)(h & 0x7FFF_FFFF));
    }

    public static string Banner(string suite) =>
        $"fuzz {suite}: seed {Value} (replay with KUMA_FUZZ_SEED={Value}; default {Default})";
}

/// <summary>Everything that broke in a run, collected so the report names every offender, not the first.</summary>
public sealed class FuzzFindings
{
    private readonly ConcurrentQueue<string> _items = new();

    public int Count => _items.Count;

    public void Add(string what, string request, string? response = null) =>
        _items.Enqueue($"{what}\n  request: {request}" + (response is null ? "" : $"\n  response: {response}"));

    /// <summary>Prints every finding and fails the test if there was any.</summary>
    public void AssertNone(ITestOutputHelper output, string suite)
    {
        if (_items.IsEmpty) return;
        var report = new StringBuilder($"{_items.Count} finding(s) in fuzz {suite}, seed {FuzzSeed.Value}:\n");
        foreach (var item in _items) report.Append("- ").AppendLine(item);
        output.WriteLine(report.ToString());
        Assert.Fail(report.ToString());
    }
}

/// <summary>Heap size after a full, compacting collection: what the process really keeps.</summary>
public static class FuzzMemory
{
    public const long Bound = 64L * 1024 * 1024;

    public static long Retained()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>
/// One control plane for every fuzz suite: plaintext DP port (ADS and /bootstrap over h2c), the tenant
/// rate limit and the refused-token budget lifted so inputs reach the code behind them instead of 429.
/// Tenant <c>fuzz</c> holds a read-only mesh <c>ro</c> with a sample of every type, and mesh <c>dp</c>
/// for proxies.
/// </summary>
public sealed class FuzzControlPlane : IAsyncLifetime
{
    public const string Tenant = "fuzz";
    public const string ReadOnlyMesh = "ro";
    public const string DpMesh = "dp";

    public ControlPlane Cp { get; private set; } = null!;
    public string TenantToken { get; private set; } = "";
    public HttpClient TenantClient { get; private set; } = null!;
    /// <summary>Dataplane tokens of mesh <c>dp</c>: one per name <c>dp-{i}</c>, and the last one bound to no name.</summary>
    public IReadOnlyList<string> DataplaneTokens { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string>
        {
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            ["KUMA_TENANT_API_REQUESTS_PER_SECOND"] = "1000000",
            ["KUMA_DP_SERVER_AUTH_FAILURES_PER_MINUTE"] = "0",
            ["KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY"] = "1s",
            ["KUMA_DP_SERVER_WRITE_TIMEOUT"] = "2s",
        });
        TenantToken = await Cp.CreateTenantAsync(Tenant);
        TenantClient = Cp.NewClient(TenantToken);
        foreach (var mesh in new[] { ReadOnlyMesh, DpMesh }) await Put(TenantClient, $"/meshes/{mesh}", Samples.Get("Mesh").Body(mesh, mesh));
        foreach (var sample in Samples.All.Where(s => s.MeshScoped))
            await Put(TenantClient, Samples.PathOf(sample, ReadOnlyMesh, "s1"), sample.Body(ReadOnlyMesh, "s1"));
        await Put(TenantClient, $"/meshes/{DpMesh}/dataplanes/dp-0", Samples.Dataplane(DpMesh, "dp-0"));

        var tokens = new List<string>();
        for (var i = 0; i < 4; i++) tokens.Add(await ControlPlane.DataplaneTokenAsync(TenantClient, DpMesh, $"dp-{i}"));
        var anyName = await TenantClient.PostAsync("/tokens/dataplane", ControlPlane.Json($$"""{"mesh":"{{DpMesh}}","validFor":"1h"}"""));
        tokens.Add(await anyName.Content.ReadAsStringAsync());
        Assert.True(anyName.IsSuccessStatusCode, tokens[^1]);
        DataplaneTokens = tokens;
    }

    public static async Task Put(HttpClient client, string path, string json)
    {
        var response = await client.PutAsync(path, ControlPlane.Json(json));
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The process is alive and its API answers.</summary>
    public async Task AssertAliveAsync()
    {
        using var client = Cp.NewClient();
        var response = await client.GetAsync("/");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    public async Task DisposeAsync()
    {
        TenantClient.Dispose();
        await Cp.DisposeAsync();
    }
}

/// <summary>
/// The fuzz suites share one control plane and run alone (not beside other test classes), so CPU and
/// heap measurements are their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection : ICollectionFixture<FuzzControlPlane>
{
    public const string Name = "fuzz";
}

/// <summary>Runs <paramref name="count"/> indexed jobs on <paramref name="workers"/> workers; worker w takes indices w, w+workers, ...</summary>
public static class FuzzWorkers
{
    public static Task RunAsync(int from, int count, int workers, Func<int, int, Task> job) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var i = from + w; i < from + count; i += workers) await job(w, i);
        })));
}
