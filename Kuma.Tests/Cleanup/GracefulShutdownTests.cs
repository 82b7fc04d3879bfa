using System.Diagnostics;
using Grpc.Core;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Cleanup;

/// <summary>SIGTERM (what Kubernetes sends) ends streams cleanly and soon, so proxies move to another control plane.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_ends_ads_streams_with_unavailable_and_exits_0_within_seconds()
    {
        await using var cp = await ControlPlaneProcess.StartAsync(new Dictionary<string, string> { ["KUMA_DP_SERVER_DRAIN_TIMEOUT"] = "3s" });
        using var admin = new HttpClient { BaseAddress = new Uri(cp.ApiAddress) };
        (await admin.PutAsync("/meshes/default/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("default", "web-1")))).EnsureSuccessStatusCode();
        await using var ads = new AdsClient(cp.DpAddress, "default.web-1", await ControlPlane.DataplaneTokenAsync(admin, "default", "web-1"));
        await ads.SendAsync(TypeUrls.Cluster);
        await ads.NextAsync(TimeSpan.FromSeconds(30));

        var stopping = Stopwatch.StartNew();
        cp.Child.Signal("TERM");
        var exit = cp.Child.ExitAsync();
        // The host gives itself the drain timeout (5 s) plus 5 s; the rest of the bound is for a busy CI machine
        // tearing the process down. The old shutdown waited 30 s.
        Assert.Same(exit, await Task.WhenAny(exit, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"took {stopping.Elapsed} to stop");
        Assert.Equal(0, await exit);

        var end = await ads.EndAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(StatusCode.Unavailable, end.StatusCode);
        Assert.Contains("shutting down", end.Detail, StringComparison.Ordinal);
    }
}
