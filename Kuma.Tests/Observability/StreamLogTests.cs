using System.Collections.Concurrent;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Observability;

/// <summary>What a control plane writes while proxies come and go normally: nothing an operator must act on, and no stacks.</summary>
public sealed class StreamLogTests
{
    [Fact]
    public async Task Connect_ack_nack_disconnect_and_cancel_log_no_warnings_and_every_stream_line_names_tenant_and_mesh()
    {
        var lines = new ConcurrentQueue<string>();
        await using var cp = ControlPlaneProcess.Launch(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Kuma"] = "Debug",
        }, lines.Enqueue);
        await cp.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        using var tenant = await ProcessTenant.CreateAsync(cp.ApiAddress, "logs");
        await ProcessTenant.PutMeshAndDataplaneAsync(tenant, "b1");

        // A proxy that ACKs, NACKs, and ends its stream in good order.
        await using (var ads = await ProcessTenant.ConnectAsync(cp.DpAddress, tenant, "b1"))
        {
            await ads.SendAsync(TypeUrls.Cluster);
            await ads.AckAsync(await ads.NextOfTypeAsync(TypeUrls.Cluster));
            await ads.SendAsync(TypeUrls.Listener);
            var lds = await ads.NextOfTypeAsync(TypeUrls.Listener);
            await ads.SendAsync(TypeUrls.Listener, version: "", nonce: lds.Nonce, error: "listener rejected by test");
            await ads.CompleteAsync();
            Assert.Equal(Grpc.Core.StatusCode.OK, await ads.StatusAsync());
        }
        // One that goes away without a word (its call cancelled).
        await using (var ads = await ProcessTenant.ConnectAsync(cp.DpAddress, tenant, "b1"))
        {
            await ads.SendAsync(TypeUrls.Cluster);
            await ads.NextOfTypeAsync(TypeUrls.Cluster);
        }
        await Eventually.HoldsAsync(() => Task.FromResult(lines.Count(l => l.Contains("Stream of session", StringComparison.Ordinal)) == 2),
            TimeSpan.FromSeconds(10), "both streams' ends are logged");

        // Orleans' runtime warns of its own health (a starved scheduler, a slow membership table) whatever the proxies do:
        // not an event of theirs, and this test runs on shared machines.
        var all = lines.Where(l => !l.Contains(": Orleans.", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(all, l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
        Assert.DoesNotContain(all, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
        var streamLines = all.Where(l => l.Contains("Kuma.Gateway.Dp.AdsService", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, streamLines.Count); // two connects, one NACK, two ends
        Assert.All(streamLines, l => Assert.Contains("tenant=logs mesh=m1 dataplane=b1", l, StringComparison.Ordinal));
        Assert.Single(streamLines, l => l.Contains("info: ", StringComparison.Ordinal) && l.Contains("The proxy rejected " + TypeUrls.Listener, StringComparison.Ordinal) && l.Contains("listener rejected by test", StringComparison.Ordinal));
    }
}
