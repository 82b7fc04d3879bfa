using Kuma.Testing;

namespace Kuma.LoadTest;

/// <summary>
/// What a scenario measures: one whole control plane process (the default), or a cluster of silo-only processes and
/// standalone gateways on one PostgreSQL (<c>--silos N --gateways M</c>) whose proxies are spread over the gateways.
/// </summary>
public sealed class ControlPlaneUnderTest : IAsyncDisposable
{
    private readonly ControlPlaneProcess? _single;
    private readonly ProcessCluster? _cluster;

    private ControlPlaneUnderTest(ControlPlaneProcess? single, ProcessCluster? cluster)
    {
        _single = single;
        _cluster = cluster;
    }

    /// <summary>Silos and gateways of the runs; (0, 0) for one whole control plane. Set from the command line.</summary>
    public static (int Silos, int Gateways) Topology { get; set; }

    public static bool Clustered => Topology.Silos > 0;

    /// <summary>A suffix for result files and labels: "" for one process, "-2s2g" for two silos and two gateways.</summary>
    public static string Label => Clustered ? $"-{Topology.Silos}s{Topology.Gateways}g" : "";

    public static async Task<ControlPlaneUnderTest> StartAsync() => Clustered
        ? new(null, await ProcessCluster.StartAsync(Topology.Silos, Topology.Gateways))
        : new(await ControlPlaneProcess.StartAsync(), null);

    public string ApiAddress => _single?.ApiAddress ?? _cluster!.ApiAddress;

    /// <summary>Where proxies connect; proxy i takes address i mod the count.</summary>
    public IReadOnlyList<string> DpAddresses => _single is not null ? [_single.DpAddress] : _cluster!.DpAddresses;

    /// <summary>Resident memory of every process of the control plane together.</summary>
    public long ResidentBytes() => _single?.ResidentBytes() ?? _cluster!.ResidentBytes();

    public async ValueTask DisposeAsync()
    {
        if (_single is not null) await _single.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
