using System.Net;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Kuma.Grains;
using Kuma.Testing;
using Kuma.Tests.Cleanup;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Persistence;

/// <summary>The insight of a dataplane whose session grain died with its silo, seen from the surviving silo.</summary>
public sealed class InsightAfterSiloDeathTests
{
    [Fact]
    public async Task After_the_silo_dies_overview_shows_the_last_known_insight_offline_then_the_new_stream_on_the_survivor()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("insightkill");
        await using var silos = await TwoSiloCluster.StartAsync(database, "insightkill", new Dictionary<string, string>
        {
            ["KUMA_XDS_SERVER_DATAPLANE_STATUS_FLUSH_INTERVAL"] = "1s",
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false", // the proxy's second stream goes to the survivor's DP server in plain HTTP/2
            ["KUMA_DP_SERVER_SELF_REGISTERED_CLEANUP_DELAY"] = "10m", // the dataplane outlives its stream for the whole test
        });
        var (survivor, doomed) = (silos.Survivor, silos.Doomed);
        const string name = "insight-orphan";
        var overview = $"{SelfRegisteringProxy.PathOf(name)}/_overview";
        var key = SessionKeys.Dataplane("default", SelfRegisteringProxy.Mesh, name);

        // A stream on the doomed silo's gateway: its session grain is placed there, beside it.
        await using (var first = await ConnectAndAckAsync(doomed.DpAddress, survivor.Client, name))
        {
            await Eventually.HoldsAsync(async () => await StoredInsights.ReadAsync(database, key) is { Insight.Types: [{ ResponsesAcknowledged: 1 }] },
                TimeSpan.FromSeconds(15), "the ACK is stored");
            var before = await ReadInsightAsync(survivor.Client, overview);
            Assert.True(before!["connected"]!.GetValue<bool>());
            var doomedInstance = Subscription(before)["controlPlaneInstanceId"]!.GetValue<string>();
            var stream = Subscription(before)["id"]!.GetValue<string>();

            doomed.Child.Signal("KILL"); // its gateway, the stream and the session grain die at once, without a word
            await doomed.Child.ExitAsync();

            // Once Orleans has declared the silo dead, a new activation reads the stored insight and finds no gateway to
            // answer for the stream: the last known state, offline.
            JsonNode? after = null;
            await Eventually.HoldsAsync(async () =>
                (after = await ReadInsightAsync(survivor.Client, overview)) is { } insight && !insight["connected"]!.GetValue<bool>(),
                TimeSpan.FromSeconds(120), "the survivor shows the dead silo's stream offline");
            // The whole subscription as the doomed silo last showed it, ended: no session id, a disconnect time.
            var last = Subscription(after!).DeepClone().AsObject();
            Assert.NotNull(last["disconnectTime"]);
            last.Remove("disconnectTime");
            var expected = Subscription(before).DeepClone().AsObject();
            expected.Remove("id");
            Assert.Equal(expected.ToJsonString(), last.ToJsonString());
            Assert.Equal(doomedInstance, last["controlPlaneInstanceId"]!.GetValue<string>());
            Assert.Equal("1", last["status"]!["cds"]!["responsesAcknowledged"]!.GetValue<string>());

            // The proxy comes back on the surviving node: the insight follows the new stream there.
            await using var second = await ConnectAndAckAsync($"http://127.0.0.1:{survivor.DpPort}", survivor.Client, name);
            await Eventually.HoldsAsync(async () =>
                await ReadInsightAsync(survivor.Client, overview) is { } insight && insight["connected"]!.GetValue<bool>()
                && Subscription(insight)["status"]!["total"]!["responsesAcknowledged"]!.GetValue<string>() == "1",
                TimeSpan.FromSeconds(15), "the new stream is online");
            var now = Subscription((await ReadInsightAsync(survivor.Client, overview))!);
            Assert.NotEqual(stream, now["id"]!.GetValue<string>());
            Assert.NotEqual(doomedInstance, now["controlPlaneInstanceId"]!.GetValue<string>());
            Assert.Null(now["disconnectTime"]);
        }
    }

    private static async Task<AdsClient> ConnectAndAckAsync(string dpAddress, HttpClient admin, string name)
    {
        var token = await ControlPlane.DataplaneTokenAsync(admin, SelfRegisteringProxy.Mesh, name);
        var metadata = new Struct { Fields = { ["dataplane.resource"] = Value.ForString(Samples.Dataplane(SelfRegisteringProxy.Mesh, name)) } };
        var ads = new AdsClient(dpAddress, $"{SelfRegisteringProxy.Mesh}.{name}", token, metadata);
        await ads.SendAsync(TypeUrls.Cluster);
        await ads.AckAsync(await ads.NextOfTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(30)));
        return ads;
    }

    /// <summary>The dataplane insight of <c>_overview</c>; null while the API cannot answer (the dead silo is not declared dead yet).</summary>
    private static async Task<JsonNode?> ReadInsightAsync(HttpClient client, string overview)
    {
        using var response = await client.GetAsync(overview);
        return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["dataplaneInsight"] : null;
    }

    private static JsonNode Subscription(JsonNode insight) => Assert.Single(insight["subscriptions"]!.AsArray())!;
}
