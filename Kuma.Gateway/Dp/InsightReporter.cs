using System.Collections.Concurrent;
using System.Collections.Immutable;
using Kuma.Grains;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Carries the insight of this node's streams (sent, ACKed, NACKed, and what each subscribes to) to their
/// session grains in batches: at most one call per session per interval, made off the streams' path, so a push to
/// thousands of proxies is not followed by twice as many grain calls. Per session, batches arrive in order.
/// </summary>
public sealed partial class InsightReporter : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<Guid, Pending> _pending = new();
    // Only sessions with something to say are visited: ten thousand quiet streams cost nothing per tick.
    private readonly ConcurrentQueue<(Guid Id, Pending Pending)> _waiting = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger<InsightReporter> _logger;
    private readonly Task _loop;

    public InsightReporter(ILogger<InsightReporter> logger)
    {
        _logger = logger;
        _loop = Task.Run(DeliverPeriodically);
    }

    /// <param name="client">The stream's client and subscriptions when they changed; only the latest is delivered.</param>
    public void Add(IDataplaneSessionGrain session, Guid sessionId, IEnumerable<XdsEvent> events, StreamClient? client = null)
    {
        var pending = _pending.GetOrAdd(sessionId, _ => new Pending(session));
        lock (pending)
        {
            if (pending.Empty) _waiting.Enqueue((sessionId, pending));
            pending.Events.AddRange(events);
            if (client is not null) pending.Client = client;
        }
    }

    /// <summary>Delivers whatever a stream left, and forgets it; call before the session hears the stream ended.</summary>
    public Task FlushAsync(Guid sessionId) =>
        _pending.TryRemove(sessionId, out var pending) ? Deliver(sessionId, pending) : Task.CompletedTask;

    private async Task DeliverPeriodically()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                for (var count = _waiting.Count; count > 0 && _waiting.TryDequeue(out var next); count--)
                {
                    // One call in flight per session: a slow grain gathers its events meanwhile and
                    // holds up no other session.
                    if (next.Pending.Tail.IsCompleted) _ = Deliver(next.Id, next.Pending);
                    else _waiting.Enqueue(next);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task Deliver(Guid sessionId, Pending pending)
    {
        lock (pending)
        {
            if (pending.Empty) return pending.Tail;
            var batch = pending.Events.ToImmutableArray();
            var client = pending.Client;
            pending.Events.Clear();
            pending.Client = null;
            return pending.Tail = After(pending.Tail, pending.Session, sessionId, batch, client);
        }
    }

    private async Task After(Task previous, IDataplaneSessionGrain session, Guid sessionId, ImmutableArray<XdsEvent> batch, StreamClient? client)
    {
        await previous; // never faults: failures are logged below
        try
        {
            await session.ReportStream(sessionId, batch, client);
        }
        catch (Exception e)
        {
            LogReportFailed(_logger, e, sessionId); // the insight misses these events; the stream is unaffected
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private sealed class Pending(IDataplaneSessionGrain session)
    {
        public IDataplaneSessionGrain Session { get; } = session;
        public List<XdsEvent> Events { get; } = [];
        public StreamClient? Client { get; set; }
        public bool Empty => Events.Count == 0 && Client is null;
        public Task Tail { get; set; } = Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report insight events of session {Session}")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, Guid session);
}
