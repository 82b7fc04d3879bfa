using Kuma.Grains;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp.Hub;

/// <summary>
/// This node's view of one mesh: the latest snapshot, fetched by one long poll however many streams
/// of the mesh this node serves, and whatever is derived from it once per generation.
/// </summary>
public sealed partial class MeshWatch<TView> : IAsyncDisposable where TView : class
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly IMeshGrain _grain;
    private readonly Func<MeshSnapshot, TView?, TView> _derive;
    private readonly TimeSpan _pushInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Signal> _subscribers = [];
    private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private volatile Versioned? _current;

    internal MeshWatch(IMeshGrain grain, Func<MeshSnapshot, TView?, TView> derive, TimeSpan pushInterval, ILogger logger)
    {
        _grain = grain;
        _derive = derive;
        _pushInterval = pushInterval;
        _logger = logger;
    }

    /// <summary>The latest view, or null when the mesh does not exist (or nothing was heard yet).</summary>
    public TView? Current => _current?.View;

    public long Generation => _current?.Generation ?? -1;

    /// <summary>Completes once the first answer from the mesh arrived.</summary>
    public Task Ready => _firstAnswer.Task;

    internal int SubscriberCount
    {
        get
        {
            lock (_subscribers) return _subscribers.Count;
        }
    }

    internal void Start() => _loop = Task.Run(Poll);

    /// <summary>A stream's doorbell: rung on every change, holding at most one ring, so a slow stream never queues.</summary>
    public Signal Subscribe()
    {
        var signal = new Signal(this);
        lock (_subscribers) _subscribers.Add(signal);
        return signal;
    }

    internal void Remove(Signal signal)
    {
        lock (_subscribers) _subscribers.Remove(signal);
    }

    private async Task Poll()
    {
        var known = long.MinValue; // nothing heard yet: the first call answers at once
        TlsReadiness? held = null; // handed back to a mesh grain that lost it (see IMeshGrain.WaitForChange)
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var snapshot = await _grain.WaitForChange(known, PollWait, held);
                var generation = snapshot?.Generation ?? -1;
                if (generation != known || !_firstAnswer.Task.IsCompleted)
                {
                    known = generation;
                    held = snapshot?.TlsReadiness;
                    _current = snapshot is null ? null : new Versioned(generation, _derive(snapshot, _current?.View));
                    _firstAnswer.TrySetResult();
                    Ring();
                    // Changes arriving meanwhile are taken together by the next poll.
                    if (_pushInterval > TimeSpan.Zero) await Task.Delay(_pushInterval, _stop.Token);
                }
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                // The silo holding the mesh may be moving; the next poll reaches its new home.
                LogPollFailed(_logger, e);
                try
                {
                    await Task.Delay(RetryDelay, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void Ring()
    {
        Signal[] targets;
        lock (_subscribers) targets = [.. _subscribers];
        foreach (var s in targets) s.Ring();
    }

    /// <summary>Set by the first dispose: the hub's shutdown and a last unsubscriber's may both dispose one watch.</summary>
    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    private sealed record Versioned(long Generation, TView View);

    public sealed class Signal : IDisposable
    {
        private readonly MeshWatch<TView> _owner;
        private readonly SemaphoreSlim _bell = new(0, 1);

        internal Signal(MeshWatch<TView> owner) => _owner = owner;

        public MeshWatch<TView> Watch => _owner;

        internal void Ring()
        {
            try
            {
                _bell.Release();
            }
            catch (SemaphoreFullException)
            {
                // already rung and not yet heard: the listener will read the latest anyway
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public Task WaitAsync(CancellationToken ct) => _bell.WaitAsync(ct);

        public void Dispose()
        {
            _owner.Remove(this);
            _bell.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for mesh changes failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
