using Kuma.Gateway.Dp;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Clustering;

/// <summary>The maximum age of DP connections on a fake clock: jitter bounds, stopping streams and GOAWAY at the age, cutting after the grace.</summary>
public sealed class ConnectionAgeTests
{
    private static readonly DpServerOptions Options = new() { MaxConnectionAge = TimeSpan.FromMinutes(30), MaxConnectionAgeGrace = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData(0.0, 27 * 60)]
    [InlineData(0.5, 30 * 60)]
    [InlineData(0.75, 31.5 * 60)]
    [InlineData(0.9999, 32.9994 * 60)]
    public void A_connection_age_is_the_setting_within_ten_percent(double draw, double seconds)
    {
        var ages = new ConnectionAges(Options, new FakeTimeProvider()) { Draw = () => draw };
        Assert.Equal(seconds, ages.NextAge().TotalSeconds, precision: 6);
    }

    [Fact]
    public void Zero_turns_ages_off()
    {
        Assert.True(new ConnectionAges(Options, TimeProvider.System).Enabled);
        Assert.False(new ConnectionAges(Options with { MaxConnectionAge = TimeSpan.Zero }, TimeProvider.System).Enabled);
    }

    [Fact]
    public void At_its_age_a_connection_stops_its_streams_asks_for_goaway_and_is_cut_after_the_grace()
    {
        var clock = new FakeTimeProvider();
        var (closeRequests, aborts) = (0, 0);
        var ages = new ConnectionAges(Options, clock) { Draw = () => 0.5 };
        using var connection = ages.Start(() => closeRequests++, () => aborts++);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        using var gone = new CancellationTokenSource();
        connection.Enlist(Guid.NewGuid(), first);
        connection.Enlist(Guid.NewGuid(), second);
        var leaving = Guid.NewGuid();
        connection.Enlist(leaving, gone);
        connection.Leave(leaving);

        clock.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromMilliseconds(1));
        Assert.Equal((false, false, false, 0, 0), (connection.Expired, first.IsCancellationRequested, second.IsCancellationRequested, closeRequests, aborts));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((true, true, true, false, 1, 0),
            (connection.Expired, first.IsCancellationRequested, second.IsCancellationRequested, gone.IsCancellationRequested, closeRequests, aborts));

        // A stream the client opened before it heard GOAWAY ends at once.
        using var late = new CancellationTokenSource();
        connection.Enlist(Guid.NewGuid(), late);
        Assert.True(late.IsCancellationRequested);

        clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, aborts);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((1, 1), (closeRequests, aborts));
    }

    [Fact]
    public void A_connection_that_closed_before_its_age_or_within_the_grace_is_left_alone()
    {
        var clock = new FakeTimeProvider();
        var (closeRequests, aborts) = (0, 0);
        var ages = new ConnectionAges(Options, clock) { Draw = () => 0.0 };
        using var stream = new CancellationTokenSource();
        var early = ages.Start(() => closeRequests++, () => aborts++);
        early.Enlist(Guid.NewGuid(), stream);
        clock.Advance(TimeSpan.FromMinutes(20));
        early.Dispose();
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal((false, false, 0, 0), (early.Expired, stream.IsCancellationRequested, closeRequests, aborts));

        var drained = ages.Start(() => closeRequests++, () => aborts++);
        clock.Advance(TimeSpan.FromMinutes(27));
        Assert.Equal((true, 1), (drained.Expired, closeRequests));
        drained.Dispose(); // the client went away after GOAWAY
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, aborts);
    }
}
