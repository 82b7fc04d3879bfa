using Kuma.Configuration;
using Kuma.Diagnostics;
using Kuma.Gateway.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Observability;

/// <summary>A flood of <c>/ready</c> runs the checks once a second at most.</summary>
public sealed class ReadinessCacheTests
{
    private sealed class CountingMembership : ISiloMembershipCheck
    {
        public int Calls;
        public string? Answer;

        public string? Problem()
        {
            Interlocked.Increment(ref Calls);
            return Answer;
        }
    }

    private sealed class StartedLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(true);
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    private static readonly CheckResult[] AllPassed = [new("store", null), new("cluster", null), new("dpServer", null)];

    [Fact]
    public async Task Concurrent_checks_share_one_run_and_its_result_lasts_a_second()
    {
        var membership = new CountingMembership();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var services = new ServiceCollection().AddSingleton<ISiloMembershipCheck>(membership).BuildServiceProvider();
        await using var readiness = new Readiness(new StoreOptions(StoreType.Memory, null, false, TimeSpan.FromSeconds(5)), services, new StartedLifetime(), clock);

        var flood = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => readiness.CheckAsync()));
        Assert.Equal(1, membership.Calls);
        Assert.All(flood, r => Assert.Equal(AllPassed, r.AsEnumerable()));

        membership.Answer = "this silo is Joining in the cluster's membership, not Active";
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null((await readiness.CheckAsync())[1].Problem);
        Assert.Equal(1, membership.Calls);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new CheckResult("cluster", membership.Answer), (await readiness.CheckAsync())[1]);
        Assert.Equal(2, membership.Calls);
    }
}
