using System.Reflection;
using Kuma.Gateway.Dp;
using Kuma.Gateway.Dp.Hub;
using Kuma.Gateway.Dp.Sds;
using Kuma.Grains;
using Kuma.Xds.Generation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Proxyless;

/// <summary>
/// The identities' hub subscriptions when a mesh's first view does not come (its silo unreachable): an ask answers 503
/// after <see cref="ProxylessIdentities.FirstViewTimeout"/>, and neither it nor an ask its caller abandons leaves a
/// subscription behind.
/// </summary>
public sealed class ProxylessIdentitiesTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly IGrainFactory _grains = SilentMeshGrains.Create();
    private readonly MeshHub<MeshContext> _hub;

    public ProxylessIdentitiesTests() =>
        _hub = new MeshHub<MeshContext>(_grains, MeshContext.Build, TimeSpan.Zero, NullLogger<MeshHub<MeshContext>>.Instance);

    private ProxylessIdentities Identities()
    {
        var clock = new CertificateClock(_time);
        return new ProxylessIdentities(_grains, _hub, new CaRollouts(clock, new DpServerOptions()), clock, _time, NullLogger<ProxylessIdentities>.Instance);
    }

    [Fact]
    public async Task A_mesh_whose_view_does_not_come_answers_503_after_the_timeout_and_keeps_no_subscription()
    {
        using var identities = Identities();
        var ask = identities.GetAsync(new DataplaneIdentity("t1", "m1", "a"), _ => false, CancellationToken.None);
        Assert.Equal(1, _hub.Subscribers("t1", "m1"));

        _time.Advance(ProxylessIdentities.FirstViewTimeout - TimeSpan.FromSeconds(1));
        Assert.False(ask.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await ask.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ProxylessIdentities.Outcome(null, default,
            new ProxylessIdentities.Problem(503, "Service Unavailable", "mesh m1 has not reached this node yet; try again shortly")), outcome);
        Assert.Equal(0, _hub.Subscribers("t1", "m1"));
    }

    [Fact]
    public async Task An_ask_its_caller_abandons_keeps_no_subscription()
    {
        using var identities = Identities();
        using var caller = new CancellationTokenSource();
        var ask = identities.GetAsync(new DataplaneIdentity("t1", "m1", "a"), _ => false, caller.Token);
        Assert.Equal(1, _hub.Subscribers("t1", "m1"));

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, _hub.Subscribers("t1", "m1"));
    }

    // A watch left behind would wait on its silent grain for ever: the hub's end is bounded.
    public async ValueTask DisposeAsync() => await _hub.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    /// <summary>Grains whose mesh never answers a wait for change (other calls are not expected).</summary>
    public class SilentMeshGrains : DispatchProxy
    {
        public static IGrainFactory Create() => Create<IGrainFactory, SilentMeshGrains>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IGrainFactory.GetGrain) => DispatchProxy.Create<IMeshGrain, SilentMeshGrains>(),
            nameof(IMeshGrain.WaitForChange) => new TaskCompletionSource<MeshSnapshot?>().Task,
            var other => throw new NotSupportedException(other),
        };
    }
}
