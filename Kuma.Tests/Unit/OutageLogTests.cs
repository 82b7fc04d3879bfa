using Kuma.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Unit;

/// <summary>Finding 7: a store outage logged a stack trace per request (5,000 lines in 30 s). Now: once per kind, then a count.</summary>
public sealed class OutageLogTests
{
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public void Thousands_of_failures_make_one_line_then_one_summary_per_interval_then_one_recovery_line()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var logger = new ListLogger();
        var log = new OutageLog("Store", clock, logger);

        for (var i = 0; i < 5_000; i++)
        {
            log.RecordFailure("refused", "connection refused");
            if (i % 500 == 499) clock.Advance(TimeSpan.FromSeconds(3)); // 30 s in all
        }
        log.RecordFailure("timeout", "no answer in time");
        log.RecordSuccess();
        log.RecordSuccess();

        Assert.All(logger.Lines, l => Assert.Null(l.Exception));
        Assert.Equal(
            [
                "Store unavailable (refused): connection refused; requests that need it answer 503 until it returns",
                // at 12 s and at 24 s: the first failure at 0 s was told at once, the rest counted
                "Store still unavailable (refused): 2000 more failures within 10s; last: connection refused",
                "Store still unavailable (refused): 2000 more failures within 10s; last: connection refused",
                "Store unavailable (timeout): no answer in time; requests that need it answer 503 until it returns",
            ],
            logger.Lines.Take(4).Select(l => l.Message));
        Assert.Equal(["Store answers again (refused) after 5000 failures", "Store answers again (timeout) after 1 failures"],
            logger.Lines.Skip(4).Select(l => l.Message).Order());
    }
}
