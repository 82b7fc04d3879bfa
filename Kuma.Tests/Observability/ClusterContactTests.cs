using Kuma.Gateway.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace Kuma.Tests.Observability;

/// <summary>
/// A node is cut off only when the cluster answers nothing: a connect storm that makes the probe's ping slow must not
/// make the node refuse streams while its other grain calls come back (the load tool's 10,000-proxy fleet did).
/// </summary>
public sealed class ClusterContactTests
{
    [Fact]
    public void Any_answered_grain_call_keeps_the_node_connected_and_silence_for_the_cut_off_time_cuts_it_off()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var contact = new ClusterContact(clock);
        var options = new DiagnosticsOptions { ClusterCutOffAfter = TimeSpan.FromSeconds(3) };
        var probe = new ClusterProbe(null!, contact, options, clock, NullLogger<ClusterProbe>.Instance); // never run here: only its verdict is read

        Assert.Null(probe.LastAnswer);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(probe.CutOff); // starting up: the cut-off time counts from the start
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(probe.CutOff);

        contact.Answered(); // e.g. a mesh watch came back while the ping was still queued
        Assert.Equal(clock.GetUtcNow(), probe.LastAnswer);
        Assert.False(probe.CutOff);
        clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(probe.CutOff);
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(probe.CutOff);
    }

    [Fact]
    public void A_grains_own_failure_is_an_answer_and_transport_failures_and_timeouts_are_not()
    {
        Exception[] answers = [new InvalidOperationException("quota"), new ArgumentException("bad"), new Kuma.Store.StoreUnavailableException("store down")];
        Exception[] silence = [new SiloUnavailableException(), new OrleansException("no connection"), new TimeoutException(), new OperationCanceledException()];
        Assert.Equal(answers.Select(_ => true), answers.Select(ClusterContact.IsAnswer));
        Assert.Equal(silence.Select(_ => false), silence.Select(ClusterContact.IsAnswer));
    }
}
