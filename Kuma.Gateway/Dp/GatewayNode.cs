using System.Collections.Concurrent;
using System.Collections.Immutable;
using Kuma.Grains;

namespace Kuma.Gateway.Dp;

/// <summary>
/// This process as seen by the session grains: an instance id for insight, the handle through which a
/// grain closes a stream here that a newer stream of the same dataplane replaced, and the streams here
/// that hold a self-registered dataplane (their leases are renewed from this list).
/// </summary>
public sealed class GatewayNode(IGrainFactory grains) : IStreamCloser
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _streams = new();
    private readonly ConcurrentDictionary<Guid, LeaseHolder> _holders = new();
    private IStreamCloser? _reference;
    private volatile bool _shuttingDown;

    public string InstanceId { get; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    public IStreamCloser Reference => _reference ??= grains.CreateObjectReference<IStreamCloser>(this);

    /// <summary>True once the host began to stop: streams end with UNAVAILABLE and new ones are refused.</summary>
    public bool ShuttingDown => _shuttingDown;

    public int OpenStreams => _streams.Count;

    public void Register(Guid session, CancellationTokenSource stop) => _streams[session] = stop;

    /// <summary>The stream holds a self-registered dataplane: renew its lease while it is open.</summary>
    public void Hold(LeaseHolder holder) => _holders[holder.Session] = holder;

    public void Unregister(Guid session)
    {
        _streams.TryRemove(session, out _);
        _holders.TryRemove(session, out _);
    }

    public ImmutableArray<LeaseHolder> Holders() => [.. _holders.Values];

    public void Close(Guid sessionId)
    {
        if (_streams.TryGetValue(sessionId, out var stop)) Cancel(stop);
    }

    public Task<bool> IsOpen(Guid sessionId) => Task.FromResult(_streams.ContainsKey(sessionId));

    /// <summary>Ends every stream so its proxy reconnects to another control plane; a stream that starts later is refused.</summary>
    public void CloseAll()
    {
        _shuttingDown = true;
        foreach (var stop in _streams.Values) Cancel(stop);
    }

    private static void Cancel(CancellationTokenSource stop)
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
