using System.Globalization;
using Npgsql;

namespace Kuma.Testing;

/// <summary>
/// A cluster of real processes on one PostgreSQL database, on free loopback ports with plaintext DP servers: silos
/// (Kuma.Silo, with the gateway tier co-hosted, or silo-only as production runs them behind gateways) and standalone
/// gateways (Kuma.Gateway, Orleans clients of the silos). Fault tests kill one with SIGKILL and may start it again on
/// the same ports; the load tool measures the whole cluster.
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly List<ClusterNode> _nodes = [];
    private readonly string _database;
    private readonly string _clusterId;

    private ClusterProcesses(string database, string clusterId)
    {
        _database = database;
        _clusterId = clusterId;
    }

    public IReadOnlyList<ClusterNode> Silos => _nodes.Where(n => n.IsSilo).ToList();
    public IReadOnlyList<ClusterNode> Gateways => _nodes.Where(n => !n.IsSilo).ToList();
    public string ClusterId => _clusterId;

    /// <summary>The API of the first gateway (of the first silo when it co-hosts the gateway tier and there is no gateway).</summary>
    public string ApiAddress => _nodes.First(n => n.ServesApi).ApiAddress;

    /// <summary>Every DP server of the cluster, gateways first.</summary>
    public IReadOnlyList<string> DpAddresses => [.. _nodes.Where(n => n.ServesApi).OrderBy(n => n.IsSilo).Select(n => n.DpAddress)];

    /// <param name="siloOnly">Silos run with <c>KUMA_CLUSTER_ROLE=silo</c> (no API or DP port), as behind standalone gateways in production.</param>
    /// <param name="extra">Settings for every process (e.g. store timeouts); each process gets its own ports.</param>
    public static async Task<ClusterProcesses> StartAsync(string database, string clusterId, int silos, int gateways,
        IReadOnlyDictionary<string, string>? extra = null, bool siloOnly = false, TimeSpan? timeout = null)
    {
        if (silos < 1) throw new ArgumentException("a cluster needs a silo", nameof(silos));
        if (siloOnly && gateways < 1) throw new ArgumentException("silo-only silos need a gateway in front", nameof(gateways));
        var cluster = new ClusterProcesses(database, clusterId);
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        try
        {
            for (var i = 0; i < silos; i++) cluster._nodes.Add(cluster.NewNode($"silo-{i}", isSilo: true, siloOnly, extra));
            // Silos first, all at once: each waits for the store and joins (the schema is applied under a lock); gateways need a silo.
            await Task.WhenAll(cluster.Silos.Select(s => s.StartAsync(limit)));
            await cluster.WaitForActiveSilosAsync(silos, limit);
            for (var i = 0; i < gateways; i++) cluster._nodes.Add(cluster.NewNode($"gateway-{i}", isSilo: false, siloOnly: false, extra));
            await Task.WhenAll(cluster.Gateways.Select(g => g.StartAsync(limit)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private ClusterNode NewNode(string name, bool isSilo, bool siloOnly, IReadOnlyDictionary<string, string>? extra)
    {
        string Port() => FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = _database,
            ["KUMA_CLUSTER_ID"] = _clusterId,
            // Every process its own diagnostics port, or they would all take the default one.
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = Port(),
            ["KUMA_TENANT_API_REQUESTS_PER_SECOND"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (siloOnly)
        {
            environment["KUMA_CLUSTER_ROLE"] = "silo";
        }
        else
        {
            environment["KUMA_API_SERVER_HTTP_PORT"] = Port();
            environment["KUMA_API_SERVER_HTTPS_ENABLED"] = "false";
            environment["KUMA_DP_SERVER_PORT"] = Port();
            environment["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1";
            environment["KUMA_DP_SERVER_TLS_ENABLED"] = "false";
        }
        if (isSilo)
        {
            environment["KUMA_CLUSTER_SILO_PORT"] = Port();
            environment["KUMA_CLUSTER_GATEWAY_PORT"] = Port();
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;
        return new ClusterNode(name, isSilo, environment);
    }

    /// <summary>Waits until the membership table shows <paramref name="count"/> active silos of this cluster.</summary>
    public async Task WaitForActiveSilosAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        // Unpooled: after a store outage a pooled connection would be one the server closed.
        var unpooled = new NpgsqlConnectionStringBuilder(_database) { Pooling = false }.ConnectionString;
        while (true)
        {
            if (_nodes.FirstOrDefault(n => n.IsSilo && n.HasExited) is { } exited) throw new InvalidOperationException($"{exited.Name} exited before the cluster formed");
            try
            {
                await using var connection = new NpgsqlConnection(unpooled);
                await connection.OpenAsync();
                await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = $1 AND status = 3", connection);
                active.Parameters.AddWithValue(_clusterId);
                if ((long)(await active.ExecuteScalarAsync())! == count) return;
            }
            catch (Exception e) when (e is NpgsqlException or PostgresException)
            {
                // the store is down for the moment, or no silo has created the schema yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{count} active silo(s) of {_clusterId} did not show in time");
            await Task.Delay(200);
        }
    }

    /// <summary>Resident memory of every running process of the cluster together (PostgreSQL aside).</summary>
    public long ResidentBytes() => _nodes.Where(n => !n.HasExited).Sum(n => n.ResidentBytes());

    public async ValueTask DisposeAsync()
    {
        // Gateways first, so that none of them logs the silos going away.
        foreach (var node in _nodes.AsEnumerable().Reverse()) await node.DisposeAsync();
    }
}

/// <summary>One process of a <see cref="ClusterProcesses"/>: its settings (ports included) survive a kill, so a restart takes the same ports.</summary>
public sealed class ClusterNode(string name, bool isSilo, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    private ChildProcess? _process;

    public string Name => name;
    public bool IsSilo => isSilo;
    /// <summary>False for a silo-only process: it opens no API or DP port.</summary>
    public bool ServesApi => environment.ContainsKey("KUMA_API_SERVER_HTTP_PORT");
    public IReadOnlyDictionary<string, string> Environment => environment;
    public int ApiPort => Port("KUMA_API_SERVER_HTTP_PORT");
    public int DpPort => Port("KUMA_DP_SERVER_PORT");
    public int DiagnosticsPort => Port("KUMA_DIAGNOSTICS_SERVER_PORT");
    public int SiloPort => Port("KUMA_CLUSTER_SILO_PORT");
    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";
    public string DpAddress => $"http://127.0.0.1:{DpPort}";
    public string DiagnosticsAddress => $"http://127.0.0.1:{DiagnosticsPort}";
    public int ProcessId => Running.Id;
    public bool HasExited => _process?.HasExited ?? true;

    private ChildProcess Running => _process ?? throw new InvalidOperationException($"{name} is not running");

    private int Port(string key) => int.Parse(environment[key], CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts the process and returns once its API answers and the default mesh exists; a silo-only process returns
    /// at once (<see cref="ClusterProcesses.WaitForActiveSilosAsync"/> sees it join).
    /// </summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"{name} is running");
        if (_process is not null) await _process.DisposeAsync();
        _process = ChildProcess.Start(isSilo ? ControlPlaneProcess.SiloDll : ControlPlaneProcess.GatewayDll, [], environment, name);
        if (!ServesApi) return;
        Console.Error.WriteLine($"{name}: pid {_process.Id}, API {ApiAddress}, DP {DpAddress}");
        using var http = new HttpClient { BaseAddress = new Uri(ApiAddress), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{name} exited with {await _process.ExitAsync()}");
            try
            {
                if ((await http.GetAsync("/meshes/default")).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name} did not answer within {timeout}");
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL, as a crashed host or an OOM kill: no shutdown, no leaving the cluster. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        var process = Running;
        process.Signal("KILL");
        await process.ExitAsync();
    }

    public long ResidentBytes() => Running.ResidentBytes();

    public HttpClient NewClient(TimeSpan? timeout = null) =>
        new() { BaseAddress = new Uri(ApiAddress), Timeout = timeout ?? TimeSpan.FromSeconds(10) };

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
    }
}
