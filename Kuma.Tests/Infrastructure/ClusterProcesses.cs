using System.Globalization;
using Kuma.Testing;
using Npgsql;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// A cluster of real processes on one PostgreSQL database: silos (Kuma.Silo, each with its own API and DP server)
/// and standalone gateways (Kuma.Gateway, an Orleans client of the silos). A test kills one with SIGKILL and may
/// start it again on the same ports.
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

    /// <summary>Gateway processes run the Kuma.Gateway build beside the tests (Kuma.Silo references it).</summary>
    public static string GatewayDll => Path.Combine(AppContext.BaseDirectory, "Kuma.Gateway.dll");

    /// <param name="extra">Settings for every process (e.g. store timeouts); each process gets its own ports.</param>
    public static async Task<ClusterProcesses> StartAsync(string database, string clusterId, int silos, int gateways,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var cluster = new ClusterProcesses(database, clusterId);
        try
        {
            for (var i = 0; i < silos; i++) cluster._nodes.Add(cluster.NewNode($"silo-{i}", isSilo: true, extra));
            // Silos first, all at once: each waits for the store and joins; gateways need a silo to connect to.
            await Task.WhenAll(cluster.Silos.Select(s => s.StartAsync()));
            await cluster.WaitForActiveSilosAsync(silos);
            for (var i = 0; i < gateways; i++) cluster._nodes.Add(cluster.NewNode($"gateway-{i}", isSilo: false, extra));
            await Task.WhenAll(cluster.Gateways.Select(g => g.StartAsync()));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private ClusterNode NewNode(string name, bool isSilo, IReadOnlyDictionary<string, string>? extra)
    {
        string Port() => FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = _database,
            ["KUMA_CLUSTER_ID"] = _clusterId,
            ["KUMA_API_SERVER_HTTP_PORT"] = Port(),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = Port(),
            ["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1",
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            // Every process its own diagnostics port, or they would all take the default one.
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = Port(),
            ["KUMA_TENANT_API_REQUESTS_PER_SECOND"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
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
        // Unpooled: after a store outage a pooled connection would be one the server closed.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = $1 AND status = 3", connection);
        active.Parameters.AddWithValue(_clusterId);
        await Eventually.HoldsAsync(async () => (long)(await active.ExecuteScalarAsync())! == count, timeout ?? TimeSpan.FromSeconds(60), $"{count} active silos");
    }

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
    public IReadOnlyDictionary<string, string> Environment => environment;
    public int ApiPort => Port("KUMA_API_SERVER_HTTP_PORT");
    public int DpPort => Port("KUMA_DP_SERVER_PORT");
    public int DiagnosticsPort => Port("KUMA_DIAGNOSTICS_SERVER_PORT");
    public int SiloPort => Port("KUMA_CLUSTER_SILO_PORT");
    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";
    public string DpAddress => $"http://127.0.0.1:{DpPort}";
    public string DiagnosticsAddress => $"http://127.0.0.1:{DiagnosticsPort}";
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException($"{name} is not running");

    private int Port(string key) => int.Parse(environment[key], CultureInfo.InvariantCulture);

    /// <summary>Starts the process and returns once its API answers and the default mesh exists.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"{name} is running");
        if (_process is not null) await _process.DisposeAsync();
        _process = ChildProcess.Start(isSilo ? ControlPlaneProcess.SiloDll : ClusterProcesses.GatewayDll, [], environment, name);
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
        var process = _process ?? throw new InvalidOperationException($"{name} is not running");
        process.Signal("KILL");
        await process.ExitAsync();
    }

    public HttpClient NewClient(TimeSpan? timeout = null) =>
        new() { BaseAddress = new Uri(ApiAddress), Timeout = timeout ?? TimeSpan.FromSeconds(10) };

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
    }
}
