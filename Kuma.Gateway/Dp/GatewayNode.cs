using System.Collections.Concurrent;
using Kuma.Grains;

namespace Kuma.Gateway.Dp;

/// <summary>
/// This process as seen by the session grains: an instance id for insight, and the handle through
/// which a grain closes a stream here that a newer stream of the same dataplane replaced.
/// </summary>
public sealed class GatewayNode(IGrainFactory grains) : IStreamCloser
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _streams = new();
    private IStreamCloser? _reference;

    public string InstanceId { get; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    public IStreamCloser Reference => _reference ??= grains.CreateObjectReference<IStreamCloser>(this);

    public void Register(Guid session, CancellationTokenSource stop) => _streams[session] = stop;

    public void Unregister(Guid session) => _streams.TryRemove(session, out _);

    public void Close(Guid sessionId)
    {
        if (_streams.TryGetValue(sessionId, out var stop))
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
}
