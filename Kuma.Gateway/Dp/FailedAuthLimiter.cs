using System.Collections.Concurrent;
using System.Net;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Counts refused dataplane authentications per source address in fixed windows; a source over its
/// budget is refused before its token is even read. The table is bounded: once full, sources not yet
/// in it share one overflow entry, so a spray of addresses cannot grow memory either.
/// </summary>
public sealed class FailedAuthLimiter(int failuresPerWindow, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxSources = 10_000;
    private static readonly IPAddress Overflow = IPAddress.IPv6None;

    private sealed class Counter
    {
        public long WindowStart;
        public int Failures;
    }

    private readonly ConcurrentDictionary<IPAddress, Counter> _sources = new();

    public bool IsBlocked(IPAddress? source)
    {
        if (failuresPerWindow <= 0 || source is null) return false;
        var counter = _sources.GetValueOrDefault(source) ?? _sources.GetValueOrDefault(Overflow);
        if (counter is null) return false;
        lock (counter) return CurrentWindow() == counter.WindowStart && counter.Failures >= failuresPerWindow;
    }

    public void RecordFailure(IPAddress? source)
    {
        if (failuresPerWindow <= 0 || source is null) return;
        if (!_sources.ContainsKey(source) && _sources.Count >= MaxSources)
        {
            Prune();
            if (_sources.Count >= MaxSources) source = Overflow;
        }
        var counter = _sources.GetOrAdd(source, _ => new Counter());
        var window = CurrentWindow();
        lock (counter)
        {
            if (counter.WindowStart != window) (counter.WindowStart, counter.Failures) = (window, 0);
            counter.Failures++;
        }
    }

    private long CurrentWindow() => clock.GetUtcNow().Ticks / Window.Ticks;

    private void Prune()
    {
        var window = CurrentWindow();
        foreach (var (address, counter) in _sources)
        {
            bool stale;
            lock (counter) stale = counter.WindowStart != window;
            if (stale) _sources.TryRemove(address, out _);
        }
    }
}
