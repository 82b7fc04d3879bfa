using Kuma.Gateway.Dp.Sds;
using Kuma.Grains;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Mtls;

/// <summary>Which backend signs on one node while a mesh's CA changes: the previous one until the new CA is trusted.</summary>
public sealed class CaRolloutTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);
    private static readonly string[] One = ["ca-1"];
    private static readonly string[] Both = ["ca-1", "ca-2"];

    private static (CaRollout Rollout, FakeTimeProvider Clock) Create()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return (new CaRollout(new CertificateClock(clock), Grace), clock);
    }

    [Fact]
    public void The_previous_backend_signs_until_every_subscribed_stream_acknowledged_the_new_CA()
    {
        var (rollout, _) = Create();
        object a = new(), b = new();
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-1", One));
        rollout.Join(a);
        rollout.Join(b);
        rollout.Acknowledged(a, ["ca-1"]);

        Assert.Equal("ca-1", rollout.Signing("uid", "ca-2", Both));
        var switched = rollout.Switched;
        rollout.Acknowledged(a, ["ca-1", "ca-2"]);
        Assert.False(switched.IsCompleted);
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-2", Both));
        rollout.Acknowledged(b, ["ca-2", "ca-1"]);
        Assert.True(switched.IsCompleted);
        Assert.False(rollout.Switched.IsCompleted);
        Assert.Equal("ca-2", rollout.Signing("uid", "ca-2", Both));
    }

    [Fact]
    public void A_stream_that_never_acknowledges_holds_the_change_for_the_grace_period_only()
    {
        var (rollout, clock) = Create();
        var silent = new object();
        rollout.Signing("uid", "ca-1", One);
        rollout.Join(silent);
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-2", Both));
        var switched = rollout.Switched;
        clock.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.False(switched.IsCompleted);
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-2", Both));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(switched.IsCompleted);
        Assert.Equal("ca-2", rollout.Signing("uid", "ca-2", Both));
    }

    [Fact]
    public void A_stream_that_leaves_no_longer_holds_the_change()
    {
        var (rollout, _) = Create();
        object trusting = new(), leaving = new();
        rollout.Signing("uid", "ca-1", One);
        rollout.Join(trusting);
        rollout.Join(leaving);
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-2", Both));
        rollout.Acknowledged(trusting, ["ca-1", "ca-2"]);
        var switched = rollout.Switched;
        rollout.Leave(leaving);
        Assert.True(switched.IsCompleted);
        Assert.Equal("ca-2", rollout.Signing("uid", "ca-2", Both));
    }

    [Fact]
    public void A_backend_listed_long_before_it_is_enabled_signs_at_once()
    {
        var (rollout, clock) = Create();
        rollout.Join(new object());
        Assert.Equal("ca-1", rollout.Signing("uid", "ca-1", Both));
        clock.Advance(Grace);
        Assert.Equal("ca-2", rollout.Signing("uid", "ca-2", Both));
    }

    [Fact]
    public void Without_the_previous_backend_or_in_a_new_mesh_the_enabled_backend_signs()
    {
        var (rollout, _) = Create();
        rollout.Join(new object());
        rollout.Signing("uid", "ca-1", One);
        Assert.Equal("ca-2", rollout.Signing("uid", "ca-2", ["ca-2"])); // ca-1 is no longer trusted anywhere it is not listed
        Assert.Equal("ca-1", rollout.Signing("other-uid", "ca-1", Both)); // the mesh was deleted and created again
        Assert.Equal("ca-1", rollout.Signing("other-uid", "ca-1", Both));
    }
}
