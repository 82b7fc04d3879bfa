using Kuma.Gateway.Auth;
using Kuma.Grains;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Unit;

/// <summary>The tenant cache answers from what it knows and refreshes behind the requests; only a cold miss waits for the grain.</summary>
public sealed class TenantDirectoryTests
{
    private static readonly TenantLimits Acme = new(100, "uid-1");

    /// <summary>A grain stand-in: each call takes the next scripted answer (or the default one), and is counted.</summary>
    private sealed class FakeTenants
    {
        private readonly Queue<Func<Task<TenantLimits?>>> _next = new();
        public Func<Task<TenantLimits?>> Default { get; set; } = () => Task.FromResult<TenantLimits?>(Acme);
        public int Calls { get; private set; }

        public void Then(Func<Task<TenantLimits?>> answer) => _next.Enqueue(answer);

        public Task<TenantLimits?> Fetch(string tenant)
        {
            Calls++;
            return _next.TryDequeue(out var answer) ? answer() : Default();
        }
    }

    private static (TenantDirectory Directory, FakeTenants Tenants, FakeTimeProvider Clock) Create(int capacity = 100, ILogger? logger = null)
    {
        var tenants = new FakeTenants();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return (new TenantDirectory(tenants.Fetch, clock, logger ?? NullLogger.Instance, capacity), tenants, clock);
    }

    [Fact]
    public async Task A_cold_miss_waits_for_the_grain()
    {
        var (directory, tenants, _) = Create();
        var answer = new TaskCompletionSource<TenantLimits?>();
        tenants.Then(() => answer.Task);

        var pending = directory.GetLimitsAsync("acme");
        Assert.False(pending.IsCompleted);
        answer.SetResult(Acme);
        Assert.Equal(Acme, await pending);
        Assert.Equal(Acme, await directory.GetLimitsAsync("acme"));
        Assert.Equal(1, tenants.Calls);
    }

    [Fact]
    public async Task A_stale_entry_is_served_at_once_while_its_refresh_hangs()
    {
        var (directory, tenants, clock) = Create();
        await directory.GetLimitsAsync("acme");
        var hanging = new TaskCompletionSource<TenantLimits?>();
        tenants.Default = () => hanging.Task;

        clock.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 5; i++)
        {
            var answer = directory.GetLimitsAsync("acme");
            Assert.True(answer.IsCompletedSuccessfully); // not waiting on the hanging refresh
            Assert.Equal(Acme, await answer);
        }
        Assert.Equal(2, tenants.Calls); // the first fetch and one refresh in flight, not one per request

        // A refresh that never answers gives way to another after its timeout.
        clock.Advance(TenantDirectory.RefreshTimeout);
        for (var i = 0; i < 100 && tenants.Calls < 3; i++)
        {
            await Task.Delay(10);
            clock.Advance(TimeSpan.FromMilliseconds(100));
            Assert.Equal(Acme, await directory.GetLimitsAsync("acme"));
        }
        Assert.Equal(3, tenants.Calls);
    }

    [Fact]
    public async Task A_stale_entry_is_served_while_refreshes_fail_until_the_staleness_bound()
    {
        var logged = new CountingLogger();
        var (directory, tenants, clock) = Create(logger: logged);
        await directory.GetLimitsAsync("acme");
        tenants.Default = () => Task.FromException<TenantLimits?>(new TimeoutException("silo gone"));

        for (var i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1.5));
            Assert.Equal(Acme, await directory.GetLimitsAsync("acme"));
        }
        Assert.Equal(21, tenants.Calls); // one refresh per expiry, each failing
        Assert.InRange(logged.Warnings, 1, 4); // once at first, then a summary per 10 s: not once per failure

        clock.Advance(TenantDirectory.MaxStaleness);
        await Assert.ThrowsAsync<TimeoutException>(async () => await directory.GetLimitsAsync("acme"));
    }

    [Fact]
    public async Task A_deleted_tenant_is_refused_once_a_refresh_after_the_ttl_has_seen_it_gone()
    {
        var (directory, tenants, clock) = Create();
        await directory.GetLimitsAsync("acme");
        tenants.Default = () => Task.FromResult<TenantLimits?>(null);

        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(Acme, await directory.GetLimitsAsync("acme"));
        Assert.Equal(1, tenants.Calls);

        clock.Advance(TimeSpan.FromMilliseconds(600));
        await directory.GetLimitsAsync("acme"); // served from the cache; the refresh learns of the deletion
        Assert.Null(await directory.GetLimitsAsync("acme"));

        // Not known, and stale: asked again (as a cold miss), so a tenant created meanwhile is seen.
        tenants.Default = () => Task.FromResult<TenantLimits?>(Acme);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Acme, await directory.GetLimitsAsync("acme"));
    }

    [Fact]
    public async Task An_invalidated_tenant_is_asked_again_and_an_answer_older_than_the_invalidation_is_not_kept()
    {
        var (directory, tenants, _) = Create();
        await directory.GetLimitsAsync("acme");
        directory.Invalidate("acme");
        tenants.Default = () => Task.FromResult<TenantLimits?>(null);
        Assert.Null(await directory.GetLimitsAsync("acme"));

        var late = new TaskCompletionSource<TenantLimits?>();
        tenants.Then(() => late.Task);
        directory.Invalidate("acme");
        var pending = directory.GetLimitsAsync("acme");
        directory.Invalidate("acme"); // e.g. a PUT on this node answered while the read was out
        late.SetResult(Acme);
        Assert.Equal(Acme, await pending);
        Assert.Null(await directory.GetLimitsAsync("acme"));
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_capacity_and_keeps_the_recently_used()
    {
        var (directory, tenants, clock) = Create(capacity: 10);
        for (var i = 0; i < 50; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            await directory.GetLimitsAsync($"t{i}");
            await directory.GetLimitsAsync("hot");
            Assert.True(directory.Count <= 10, $"{directory.Count} entries after {i + 1} tenants");
        }
        var calls = tenants.Calls;
        await directory.GetLimitsAsync("hot");
        Assert.Equal(calls, tenants.Calls);
    }

    [Fact]
    public void The_rate_is_shared_by_the_nodes_serving_the_api()
    {
        var nodes = 3;
        using var limiter = new TenantRateLimiter(2000, () => nodes);
        Assert.Equal(667, limiter.ShareOfThisNode(2000));
        Assert.Equal(1, limiter.ShareOfThisNode(1));
        nodes = 0; // not known
        Assert.Equal(2000, limiter.ShareOfThisNode(2000));
        using var alone = new TenantRateLimiter(10);
        Assert.Equal(10, alone.ShareOfThisNode(10));
        nodes = 2;
        for (var i = 0; i < 5; i++) Assert.Null(limiter.TryAcquire("acme", 10));
        Assert.NotNull(limiter.TryAcquire("acme", 10));
    }

    private sealed class CountingLogger : ILogger
    {
        public int Warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Interlocked.Increment(ref Warnings);
        }
    }
}
