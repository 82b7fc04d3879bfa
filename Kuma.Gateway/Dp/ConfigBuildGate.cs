using Kuma.Xds.Generation;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Lets at most one proxy config build per core run at a time. Builds are pure CPU; when thousands of streams
/// want one at once (a connect storm in a mesh with many policies), an unbounded fan-out queues them all on the
/// thread pool ahead of grain messages, and the node's grain calls time out while the CPU is busy anyway. Parked
/// here instead, builds take the same total time and everything else keeps its turn. Configs already built in the
/// current generation are shared and skip the gate.
/// </summary>
public sealed class ConfigBuildGate : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public async ValueTask<ProxyConfig> ForProxyAsync(Func<MeshContext> current, string dataplane, ProxyNode node, CancellationToken ct)
    {
        if (current().TryGetBuilt(dataplane, node) is { } built) return built;
        await _slots.WaitAsync(ct);
        try
        {
            // The mesh may have moved on while this waited: build for the newest, not for the one that woke it.
            return current().ForProxy(dataplane, node);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
