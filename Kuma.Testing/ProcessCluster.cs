using Npgsql;

namespace Kuma.Testing;

/// <summary>
/// N silo-only processes (<c>KUMA_CLUSTER_ROLE=silo</c>) and M standalone gateway processes on one PostgreSQL database,
/// each process on free loopback ports with a plaintext DP server: the cluster topology as it runs in production,
/// on one machine. Started once every silo is active in the membership table and every gateway serves the default mesh.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private const string ClusterId = "process-cluster";
    private readonly PostgresServer? _postgres;
    private readonly List<ControlPlaneProcess> _silos = [];
    private readonly List<ControlPlaneProcess> _gateways = [];

    private ProcessCluster(PostgresServer? postgres) => _postgres = postgres;

    public IReadOnlyList<ControlPlaneProcess> Silos => _silos;
    public IReadOnlyList<ControlPlaneProcess> Gateways => _gateways;

    /// <param name="database">A connection string; when null, a durable PostgreSQL is started for the cluster (and stopped with it).</param>
    public static async Task<ProcessCluster> StartAsync(int silos, int gateways, string? database = null, TimeSpan? timeout = null)
    {
        if (silos < 1 || gateways < 1) throw new ArgumentException("a cluster needs at least one silo and one gateway");
        var postgres = database is null ? await PostgresServer.StartAsync(durable: true) : null;
        var cluster = new ProcessCluster(postgres);
        try
        {
            database ??= await postgres!.CreateDatabaseAsync("cluster");
            var common = new Dictionary<string, string>
            {
                ["KUMA_STORE_TYPE"] = "postgres",
                ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
                ["KUMA_CLUSTER_ID"] = ClusterId,
            };
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
            // The first silo applies the schema; the others start once it has joined.
            cluster._silos.Add(ControlPlaneProcess.Launch(new Dictionary<string, string>(common) { ["KUMA_CLUSTER_ROLE"] = "silo" }));
            await WaitForActiveSilosAsync(database, 1, cluster._silos, deadline);
            for (var i = 1; i < silos; i++) cluster._silos.Add(ControlPlaneProcess.Launch(new Dictionary<string, string>(common) { ["KUMA_CLUSTER_ROLE"] = "silo" }));
            for (var i = 0; i < gateways; i++) cluster._gateways.Add(ControlPlaneProcess.Launch(common, program: ControlPlaneProcess.GatewayDll));
            await WaitForActiveSilosAsync(database, silos, cluster._silos, deadline);
            foreach (var gateway in cluster._gateways) await gateway.WaitUntilReadyAsync(deadline - DateTime.UtcNow);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string ApiAddress => _gateways[0].ApiAddress;

    public IReadOnlyList<string> DpAddresses => [.. _gateways.Select(g => g.DpAddress)];

    /// <summary>Resident memory of every process of the cluster together (PostgreSQL aside).</summary>
    public long ResidentBytes() => _silos.Concat(_gateways).Sum(p => p.ResidentBytes());

    private static async Task WaitForActiveSilosAsync(string database, int count, List<ControlPlaneProcess> silos, DateTime deadline)
    {
        await using var connection = new NpgsqlConnection(database);
        while (true)
        {
            if (silos.FirstOrDefault(s => s.Child.HasExited) is { } exited)
                throw new InvalidOperationException($"a silo exited with {await exited.Child.ExitAsync()} before the cluster formed");
            try
            {
                if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync();
                await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = $1 AND status = 3", connection);
                active.Parameters.AddWithValue(ClusterId);
                if ((long)(await active.ExecuteScalarAsync())! >= count) return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // the first silo has not created the schema yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{count} silo(s) did not become active in time");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
        if (_postgres is not null) await _postgres.StopAsync();
    }
}
