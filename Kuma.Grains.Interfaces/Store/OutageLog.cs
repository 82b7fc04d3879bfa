using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kuma.Store;

/// <summary>
/// Tells operators about a dependency's failures (the store, the cluster) once per kind, with a count, rather than once per request:
/// the first failure of a kind is logged at once, then a summary at most every interval, and one line
/// when the store answers again.
/// </summary>
public sealed partial class OutageLog(string dependency, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(10);

    private sealed class Tally
    {
        public int SinceLastLog;
        public int Total;
        public DateTimeOffset LastLog;
    }

    private readonly ConcurrentDictionary<string, Tally> _failing = new(StringComparer.Ordinal);
    // Success is told on every call: a plain read keeps that path free of the dictionary's locks
    // (its IsEmpty takes them all when it is empty, which is the healthy case).
    private volatile bool _anyFailing;

    public bool IsFailing => _anyFailing;

    public void RecordFailure(string kind, string detail)
    {
        _anyFailing = true;
        var tally = _failing.GetOrAdd(kind, _ => new Tally());
        var now = clock.GetUtcNow();
        lock (tally)
        {
            tally.Total++;
            tally.SinceLastLog++;
            if (tally.Total == 1) LogFirstFailure(logger, dependency, kind, detail);
            else if (now - tally.LastLog >= SummaryInterval) LogStillFailing(logger, dependency, kind, tally.SinceLastLog, (int)SummaryInterval.TotalSeconds, detail);
            else return;
            tally.LastLog = now;
            tally.SinceLastLog = 0;
        }
    }

    public void RecordSuccess()
    {
        if (!_anyFailing) return;
        _anyFailing = false;
        foreach (var (kind, _) in _failing)
        {
            if (_failing.TryRemove(kind, out var tally)) LogRecovered(logger, dependency, kind, tally.Total);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Dependency} unavailable ({Kind}): {Detail}; requests that need it answer 503 until it returns")]
    private static partial void LogFirstFailure(ILogger logger, string dependency, string kind, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Dependency} still unavailable ({Kind}): {Count} more failures within {Seconds}s; last: {Detail}")]
    private static partial void LogStillFailing(ILogger logger, string dependency, string kind, int count, int seconds, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Dependency} answers again ({Kind}) after {Count} failures")]
    private static partial void LogRecovered(ILogger logger, string dependency, string kind, int count);
}
