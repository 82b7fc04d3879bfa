using System.Diagnostics;
using Kuma.Grains;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Persistence;

/// <summary>A session grain writes its insight behind, in batches, and a store outage costs the stream nothing.</summary>
public sealed class InsightWriteBehindTests
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private static Dictionary<string, string> Settings() => new()
    {
        ["KUMA_XDS_SERVER_DATAPLANE_STATUS_FLUSH_INTERVAL"] = "1s",
    };

    [Fact]
    public async Task A_thousand_acks_on_one_stream_make_a_handful_of_writes()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("insightacks");
        await using var cp = await ControlPlane.StartAsync(database, Settings());
        var grains = cp.Services.GetRequiredService<IGrainFactory>();
        var key = SessionKeys.Dataplane("t1", "default", "acks");
        var session = grains.GetGrain<IDataplaneSessionGrain>(key);
        var stream = Guid.NewGuid();
        await session.Connect(stream, "gateway-1", grains.CreateObjectReference<IStreamCloser>(new OpenStreams()), null);

        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= 1000; i++)
        {
            await session.Report(stream, [new XdsEvent(TypeUrls.Cluster, XdsEventKind.Acked, $"v{i}", null, DateTimeOffset.UtcNow)]);
        }
        var elapsed = clock.Elapsed;

        await Eventually.HoldsAsync(async () => await StoredInsights.ReadAsync(database, key) is { Insight.Types: [{ ResponsesAcknowledged: 1000 }] },
            TimeSpan.FromSeconds(10), "the last ACK reaches the store within a flush interval");
        var (writes, stored) = (await StoredInsights.ReadAsync(database, key))!.Value;
        // One write on connect, then at most one per flush interval while the ACKs came, and the one after the last.
        Assert.InRange(writes, 2, 2 + (int)Math.Ceiling(elapsed / FlushInterval));
        Assert.True(stored.EverConnected);
        Assert.Equal(stream, stored.Session);
        Assert.Equal("gateway-1", stored.Gateway);
        Assert.NotNull(stored.Closer);
        var type = Assert.Single(stored.Types);
        Assert.Equal(new XdsTypeStatus(TypeUrls.Cluster, null, "v1000", null, null, 0, 1000, 0, type.LastUpdateTime), type);
    }

    [Fact]
    public async Task A_store_outage_fails_no_report_nor_insight_read_and_the_insight_is_written_once_it_is_back()
    {
        var server = await PostgresServer.StartAsync(durable: false); // its own server: this test takes it down
        try
        {
            var database = await server.CreateDatabaseAsync("insightoutage");
            await using var cp = await ControlPlane.StartAsync(database, Settings());
            var grains = cp.Services.GetRequiredService<IGrainFactory>();
            var key = SessionKeys.Dataplane("t1", "default", "outage");
            var session = grains.GetGrain<IDataplaneSessionGrain>(key);
            var stream = Guid.NewGuid();
            await session.Connect(stream, "gateway-1", grains.CreateObjectReference<IStreamCloser>(new OpenStreams()), null);
            await Eventually.HoldsAsync(async () => await StoredInsights.ReadAsync(database, key) is not null,
                TimeSpan.FromSeconds(10), "the connect is written");

            await server.StopServingAsync();
            await session.Report(stream, [new XdsEvent(TypeUrls.Cluster, XdsEventKind.Sent, "v1", null, DateTimeOffset.UtcNow)]);
            // Several flush intervals fail meanwhile; neither reports nor reads notice.
            for (var i = 2; i <= 4; i++)
            {
                await session.Report(stream, [new XdsEvent(TypeUrls.Cluster, XdsEventKind.Nacked, $"v{i}", "bad cluster", DateTimeOffset.UtcNow)]);
                var insight = await session.GetInsight();
                Assert.True(insight!.Connected);
                Assert.Equal(i - 1, Assert.Single(insight.Types).ResponsesRejected);
                await Task.Delay(FlushInterval); // lets a flush attempt fail; not a synchronisation
            }
            await server.ResumeServingAsync();

            await Eventually.HoldsAsync(async () => await StoredInsights.ReadAsync(database, key) is { Insight.Types: [{ ResponsesRejected: 3 }] },
                TimeSpan.FromSeconds(30), "the insight is written once the store is back");
            var type = Assert.Single((await StoredInsights.ReadAsync(database, key))!.Value.Insight.Types);
            Assert.Equal(new XdsTypeStatus(TypeUrls.Cluster, "v1", null, "v4", "bad cluster", 1, 0, 3, type.LastUpdateTime), type);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>A gateway whose streams are all open.</summary>
    private sealed class OpenStreams : IStreamCloser
    {
        public void Close(Guid sessionId)
        {
        }

        public Task<bool> IsOpen(Guid sessionId) => Task.FromResult(true);
    }
}
