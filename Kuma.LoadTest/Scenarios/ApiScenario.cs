using System.Diagnostics;
using Kuma.Testing;

namespace Kuma.LoadTest.Scenarios;

/// <summary>
/// The REST API on PostgreSQL (a durable server started from the machine's binaries, fsync on): a fixed
/// number of clients, each sending its next request when the last is answered, first reading random
/// dataplanes, then rewriting them, spread over the meshes of several tenants.
/// </summary>
public sealed class ApiScenario(FleetShape shape, int clients, TimeSpan phase, PolicySet policies) : IScenario
{
    public string Name => "api";

    public static ApiScenario Create(bool full, PolicySet policies = PolicySet.Default) =>
        full ? new(new FleetShape(10, 100, 10), 16, TimeSpan.FromSeconds(20), policies) : new(new FleetShape(2, 10, 3), 4, TimeSpan.FromSeconds(2), policies);

    public async Task<RunResult> RunAsync()
    {
        var postgres = await PostgresServer.StartAsync(durable: true);
        try
        {
            return await RunAsync(await postgres.CreateDatabaseAsync("load"));
        }
        finally
        {
            await postgres.StopAsync();
        }
    }

    private async Task<RunResult> RunAsync(string database)
    {
        var result = new RunResult();
        await using var cp = await ControlPlaneProcess.StartAsync(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
        });
        await using var fleet = new MeshFleet(cp.ApiAddress, shape, policies);
        await fleet.PopulateAsync();

        var reads = await Drive(cp.ApiAddress, async (client, random) =>
        {
            using var response = await client.GetAsync(MeshFleet.DataplanePath(random.Next(shape.Tenants), $"proxy-{random.Next(shape.ProxiesPerMesh)}"));
            return response.IsSuccessStatusCode;
        });
        var writes = await Drive(cp.ApiAddress, async (client, random) =>
        {
            var (tenant, proxy) = (random.Next(shape.Tenants), random.Next(shape.ProxiesPerMesh));
            var body = fleet.Dataplane(tenant, proxy, $"svc-{random.Next(shape.ServicesPerMesh)}");
            using var response = await client.PutAsync(MeshFleet.DataplanePath(tenant, $"proxy-{proxy}"),
                new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            return response.IsSuccessStatusCode;
        });
        Report(result, "get", reads);
        Report(result, "put", writes);
        result.Add("clients", clients);
        result.Add("phaseSeconds", phase.TotalSeconds);
        return result;
    }

    private static void Report(RunResult result, string verb, Sample sample)
    {
        result.Add($"{verb}PerSecond", sample.Latencies.Count / sample.Seconds);
        result.Add($"{verb}P50Ms", Stats.Percentile(sample.Latencies, 0.50));
        result.Add($"{verb}P99Ms", Stats.Percentile(sample.Latencies, 0.99));
        result.Add($"{verb}Failures", sample.Failures);
        result.Require(sample.Failures == 0, $"{sample.Failures} {verb} requests did not answer 2xx");
    }

    private async Task<Sample> Drive(string api, Func<HttpClient, Random, Task<bool>> request)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri(api) };
        var latencies = new List<double>[clients];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            var mine = latencies[c] = [];
            while (clock.Elapsed < phase)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await request(client, random)) Interlocked.Increment(ref failures);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        return new Sample([.. latencies.SelectMany(l => l)], failures, clock.Elapsed.TotalSeconds);
    }

    private sealed record Sample(List<double> Latencies, int Failures, double Seconds);
}
