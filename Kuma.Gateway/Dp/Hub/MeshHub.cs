using System.Collections.Concurrent;
using Kuma.Grains;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp.Hub;

/// <summary>
/// This node's meshes: one <see cref="MeshWatch{TView}"/> per mesh that any stream here serves, so a
/// snapshot crosses to the node once however many proxies of the mesh are connected to it. A mesh
/// nobody here serves costs nothing: its watch ends with its last stream.
/// </summary>
public sealed class MeshHub<TView>(IGrainFactory grains, Func<MeshSnapshot, TView?, TView> derive, TimeSpan pushInterval, ILogger<MeshHub<TView>> logger) : IAsyncDisposable
    where TView : class
{
    private readonly ConcurrentDictionary<(string Tenant, string Mesh), MeshWatch<TView>> _watches = new();
    private readonly Lock _lock = new();

    /// <summary>Subscribes to a mesh; dispose the signal to leave. Waits for the first view to arrive.</summary>
    public async Task<MeshWatch<TView>.Signal> SubscribeAsync(string tenant, string mesh, CancellationToken ct)
    {
        MeshWatch<TView>.Signal signal;
        lock (_lock)
        {
            var watch = _watches.GetOrAdd((tenant, mesh), key =>
            {
                var created = new MeshWatch<TView>(grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(key.Tenant, key.Mesh)), derive, pushInterval, logger);
                created.Start();
                return created;
            });
            signal = watch.Subscribe();
        }
        try
        {
            await signal.Watch.Ready.WaitAsync(ct);
        }
        catch
        {
            // A caller giving up before the first view leaves, or the watch would outlive everyone who wanted it.
            Unsubscribe(tenant, mesh, signal);
            throw;
        }
        return signal;
    }

    /// <summary>The latest view of a mesh some stream here serves; null when none does (or nothing was heard yet).</summary>
    public TView? Latest(string tenant, string mesh) => _watches.TryGetValue((tenant, mesh), out var watch) ? watch.Current : null;

    /// <summary>How many subscriptions this node holds on a mesh (0 when it does not watch it).</summary>
    internal int Subscribers(string tenant, string mesh) => _watches.TryGetValue((tenant, mesh), out var watch) ? watch.SubscriberCount : 0;

    /// <summary>
    /// Leaves a mesh; the last one to leave stops its watch. The watch's pending long poll is not
    /// waited for: it ends on its own, and a new subscriber meanwhile gets a fresh watch.
    /// </summary>
    public void Unsubscribe(string tenant, string mesh, MeshWatch<TView>.Signal signal)
    {
        MeshWatch<TView>? idle = null;
        lock (_lock)
        {
            signal.Dispose();
            if (_watches.TryGetValue((tenant, mesh), out var watch) && watch.SubscriberCount == 0)
            {
                _watches.TryRemove((tenant, mesh), out _);
                idle = watch;
            }
        }
        if (idle is not null) _ = idle.DisposeAsync().AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var watch in _watches.Values) await watch.DisposeAsync();
        _watches.Clear();
    }
}
