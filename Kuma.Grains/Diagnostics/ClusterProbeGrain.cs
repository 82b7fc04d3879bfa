using Orleans.Concurrency;

namespace Kuma.Diagnostics;

/// <summary>Answers on whichever silo the call reaches first, so a probe measures the caller's link, not a distant activation.</summary>
[StatelessWorker]
internal sealed class ClusterProbeGrain : Grain, IClusterProbeGrain
{
    public Task Ping() => Task.CompletedTask;
}
