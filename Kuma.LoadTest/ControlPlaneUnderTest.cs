using Kuma.Testing;

namespace Kuma.LoadTest;

/// <summary>
/// What a scenario measures: one whole control plane process (the default), or a cluster of silo-only processes and
/// standalone gateways on one PostgreSQL (<c>--silos N --gateways M</c>) whose proxies are spread over the gateways.
/// </summary>
public sealed class ControlPlaneUnderTest : IAsyncDisposable
{
    private readonly ControlPlaneProcess? _single;
    private readonly ClusterProcesses? _cluster;
    private readonly PostgresServer? _postgres;

    private ControlPlaneUnderTest(ControlPlaneProcess? single, ClusterProcesses? cluster = null, PostgresServer? postgres = null)
    {
        _single = single;
        _cluster = cluster;
        _postgres = postgres;
    }

    /// <summary>Silos and gateways of the runs; (0, 0) for one whole control plane. Set from the command line.</summary>
    public static (int Silos, int Gateways) Topology { get; set; }

    public static bool Clustered => Topology.Silos > 0;

    /// <summary>A suffix for result files and labels: "" for one process, "-2s2g" for two silos and two gateways.</summary>
    public static string Label => Clustered ? $"-{Topology.Silos}s{Topology.Gateways}g" : "";

    public static async Task<ControlPlaneUnderTest> StartAsync()
    {
        if (!Clustered) return new(await ControlPlaneProcess.StartAsync());
        var postgres = await PostgresServer.StartAsync(durable: true);
        try
        {
            var database = await postgres.CreateDatabaseAsync("cluster");
            return new(null, await ClusterProcesses.StartAsync(database, "load", Topology.Silos, Topology.Gateways, siloOnly: true), postgres);
        }
        catch
        {
            await postgres.StopAsync();
            throw;
        }
    }

    public string ApiAddress => _single?.ApiAddress ?? _cluster!.ApiAddress;

    /// <summary>Where proxies connect; proxy i takes address i mod the count.</summary>
    public IReadOnlyList<string> DpAddresses => _single is not null ? [_single.DpAddress] : _cluster!.DpAddresses;

    /// <summary>Resident memory of every process of the control plane together.</summary>
    public long ResidentBytes() => _single?.ResidentBytes() ?? _cluster!.ResidentBytes();

    public async ValueTask DisposeAsync()
    {
        if (_single is not null) await _single.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
        if (_postgres is not null) await _postgres.StopAsync();
    }
}
