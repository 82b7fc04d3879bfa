using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Cleanup;

/// <summary>A self-registered dataplane is deleted once no stream holds it, whatever failed in between.</summary>
public sealed class SelfRegisteredCleanupTests
{
    [Fact]
    public async Task A_cleanup_due_during_a_store_outage_is_retried_until_the_dataplane_is_gone()
    {
        var server = await PostgresServer.StartAsync(durable: false); // its own server: this test takes it down
        try
        {
            var database = await server.CreateDatabaseAsync("outage");
            await using var cp = await ControlPlane.StartAsync(database, new Dictionary<string, string>
            {
                ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
                ["KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY"] = "2s",
            });
            var path = SelfRegisteringProxy.PathOf("self-outage");
            await using (var _ = await SelfRegisteringProxy.ConnectAsync($"http://127.0.0.1:{cp.DpPort}", cp.Client, "self-outage"))
            {
                Assert.Equal(HttpStatusCode.OK, (await cp.Client.GetAsync(path)).StatusCode);
            }
            await Eventually.HoldsAsync(async () =>
                JsonNode.Parse(await cp.Client.GetStringAsync($"{path}/_overview"))!["dataplaneInsight"]?["connected"]?.GetValue<bool>() == false,
                TimeSpan.FromSeconds(10), "the control plane sees the stream end");

            await server.StopServingAsync();
            // The outage outlasts the cleanup delay, so the cleanup comes due while the store is down.
            await Task.Delay(TimeSpan.FromSeconds(5));
            await server.ResumeServingAsync();

            await Eventually.HoldsAsync(async () => (await cp.Client.GetAsync(path)).StatusCode == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(45), "the self-registered dataplane is deleted after the store is back");
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_dataplane_whose_gateway_silo_was_killed_is_deleted_by_the_surviving_silo()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("silokill");
        await using var silos = await TwoSiloCluster.StartAsync(database, "kill", new Dictionary<string, string>
        {
            ["KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY"] = "1s",
            ["KUMA_DP_SERVER_SELF_REGISTERED_LEASE"] = "3s",
        });
        var (survivor, doomed) = (silos.Survivor, silos.Doomed);

        var path = SelfRegisteringProxy.PathOf("self-orphan");
        await using var proxy = await SelfRegisteringProxy.ConnectAsync(doomed.DpAddress, survivor.Client, "self-orphan");
        Assert.Equal(HttpStatusCode.OK, (await survivor.Client.GetAsync(path)).StatusCode);

        doomed.Child.Signal("KILL"); // its stream, its session grain and any timer there die at once
        await doomed.Child.ExitAsync();

        // Bounded by the lease, the delay and Orleans declaring the dead silo dead.
        await Eventually.HoldsAsync(async () => (await survivor.Client.GetAsync(path)).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(120), "the surviving silo deletes the orphaned dataplane");
    }
}
