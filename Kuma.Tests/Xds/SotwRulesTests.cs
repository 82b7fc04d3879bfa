using System.Net;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>Each rule of reference/xds-protocol.md that state-of-the-world streams must keep.</summary>
public sealed class SotwRulesTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    private async Task<HttpClient> Tenant(string name, params (string Dp, string Service, int Port)[] dataplanes)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(name));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        foreach (var (dp, service, port) in dataplanes)
            (await client.PutAsync($"/meshes/m1/dataplanes/{dp}", ControlPlane.Json(Samples.Dataplane("m1", dp, service, "10.0.0.1", port)))).EnsureSuccessStatusCode();
        return client;
    }

    private async Task<AdsClient> Connect(HttpClient tenant, string name, Struct? metadata = null) =>
        new(fixture.DpAddress, $"m1.{name}", await ControlPlane.DataplaneTokenAsync(tenant, "m1", name), metadata);

    private static async Task<JsonNode> Overview(HttpClient tenant, string name) =>
        JsonNode.Parse(await tenant.GetStringAsync($"/meshes/m1/dataplanes/{name}/_overview"))!;

    [Fact]
    public async Task A_nack_is_recorded_with_its_error_and_the_same_version_is_not_sent_again()
    {
        using var tenant = await Tenant("rules-nack", ("b1", "backend", 9001));
        await using var ads = await Connect(tenant, "b1");
        await ads.SendAsync(TypeUrls.Cluster);
        var cds = await ads.NextAsync();
        await ads.SendAsync(TypeUrls.Cluster, version: "", nonce: cds.Nonce, error: "cluster rejected by test");
        Assert.True(await ads.NothingWithinAsync(Quiet)); // no resend loop

        var status = (await Overview(tenant, "b1"))["dataplaneInsight"]!["subscriptions"]![0]!["status"]!["cds"]!;
        Assert.Equal("cluster rejected by test", status["lastNackError"]!.GetValue<string>());
        Assert.Equal(cds.VersionInfo, status["lastNackedVersion"]!.GetValue<string>());
        Assert.Equal("1", status["responsesRejected"]!.GetValue<string>());

        // A change of config brings a new version, which is sent.
        (await tenant.PutAsync("/meshes/m1/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m1", "b1", "backend", "10.0.0.1", 9001).Replace("\"servicePort\":80", "\"servicePort\":81")))).EnsureSuccessStatusCode();
        var next = await ads.NextAsync();
        Assert.NotEqual(cds.VersionInfo, next.VersionInfo);
        await ads.AckAsync(next);
        await WaitFor(async () => (await Overview(tenant, "b1"))["dataplaneInsight"]!["subscriptions"]![0]!["status"]!["cds"]!["lastAckedVersion"]?.GetValue<string>() == next.VersionInfo);
    }

    [Fact]
    public async Task A_request_with_a_stale_nonce_gets_no_answer()
    {
        using var tenant = await Tenant("rules-nonce", ("b1", "backend", 9001));
        await using var ads = await Connect(tenant, "client");
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var first = await ads.NextAsync();
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend", "other"], first.VersionInfo, "not-the-nonce");
        Assert.True(await ads.NothingWithinAsync(Quiet));
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend", "other"], first.VersionInfo, first.Nonce);
        Assert.Equal(TypeUrls.ClusterLoadAssignment, (await ads.NextAsync()).TypeUrl); // names changed: answered
    }

    [Fact]
    public async Task A_resource_asked_for_before_it_exists_is_pushed_when_it_appears()
    {
        using var tenant = await Tenant("rules-later");
        await using var ads = await Connect(tenant, "client");
        await ads.SendAsync(TypeUrls.Listener, ["later"]);
        var empty = await ads.NextAsync();
        Assert.Empty(empty.Resources);
        await ads.AckAsync(empty, ["later"]);

        (await tenant.PutAsync("/meshes/m1/dataplanes/late-1", ControlPlane.Json(Samples.Dataplane("m1", "late-1", "later", "10.0.0.9", 9009)))).EnsureSuccessStatusCode();
        var pushed = await ads.NextAsync();
        Assert.Equal("later", Assert.Single(pushed.Resources).Unpack<Listener>().Name);
    }

    [Fact]
    public async Task Clusters_go_first_and_endpoints_are_sent_again_after_them()
    {
        using var tenant = await Tenant("rules-order", ("b1", "backend", 9001));
        await using var ads = await Connect(tenant, "web");
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        await ads.SendAsync(TypeUrls.Cluster);
        var cds = await ads.NextAsync();
        await ads.AckAsync(cds);
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var eds = await ads.NextAsync();
        await ads.AckAsync(eds, ["backend"]);
        await ads.SendAsync(TypeUrls.Listener);
        var lds = await ads.NextAsync();
        await ads.AckAsync(lds);

        // A new outbound: a new cluster and a new listener; endpoints unchanged but sent again after the clusters.
        var body = JsonNode.Parse(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080))!;
        body["networking"]!["outbound"]!.AsArray().Add(new JsonObject { ["port"] = 10002, ["tags"] = new JsonObject { ["kuma.io/service"] = "web" } });
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(body.ToJsonString()))).EnsureSuccessStatusCode();
        var order = new List<string>();
        for (var i = 0; i < 3; i++) order.Add((await ads.NextAsync()).TypeUrl);
        Assert.Equal([TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener], order);
    }

    [Fact]
    public async Task A_newer_stream_replaces_the_older_one()
    {
        using var tenant = await Tenant("rules-replace", ("b1", "backend", 9001));
        await using var older = await Connect(tenant, "b1");
        await older.SendAsync(TypeUrls.Cluster);
        await older.NextAsync();
        await using var newer = await Connect(tenant, "b1");
        await newer.SendAsync(TypeUrls.Cluster);
        await newer.NextAsync();
        Assert.Equal(StatusCode.Cancelled, await older.StatusAsync());
        var insight = (await Overview(tenant, "b1"))["dataplaneInsight"]!;
        Assert.True(insight["connected"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_self_registered_dataplane_lives_while_connected_and_is_removed_after()
    {
        using var tenant = await Tenant("rules-self");
        var metadata = new Struct { Fields = { ["dataplane.resource"] = Value.ForString(Samples.Dataplane("m1", "self-1", "selfie", "10.0.0.5", 7000)) } };
        var ads = await Connect(tenant, "self-1", metadata);
        await ads.SendAsync(TypeUrls.Cluster);
        Assert.Contains(await ads.NextAsync() is var cds ? cds.Resources.Select(r => r.Unpack<Cluster>().Name) : [], n => n == "localhost:80");
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/m1/dataplanes/self-1")).StatusCode);

        await ads.DisposeAsync();
        await WaitFor(async () => (await tenant.GetAsync("/meshes/m1/dataplanes/self-1")).StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync("/meshes/m1/dataplanes/self-1/_overview")).StatusCode);
    }

    [Fact]
    public async Task A_self_registered_dataplane_whose_proxy_moved_to_a_new_stream_is_kept()
    {
        using var tenant = await Tenant("rules-self-moved");
        var metadata = new Struct { Fields = { ["dataplane.resource"] = Value.ForString(Samples.Dataplane("m1", "self-2", "selfie", "10.0.0.6", 7000)) } };
        var before = await Connect(tenant, "self-2", metadata);
        await before.SendAsync(TypeUrls.Cluster);
        await before.NextAsync();
        // The proxy is on its new stream (another gateway, in production) before the old one's end is noticed.
        await using var after = await Connect(tenant, "self-2", metadata);
        await after.SendAsync(TypeUrls.Cluster);
        await after.NextAsync();
        await before.DisposeAsync();

        // Nothing to wait on for a deletion that must not happen: give it the delay three times over, plus sweeps.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/m1/dataplanes/self-2")).StatusCode);
        Assert.True((await Overview(tenant, "self-2"))["dataplaneInsight"]!["connected"]!.GetValue<bool>());

        await after.DisposeAsync();
        await WaitFor(async () => (await tenant.GetAsync("/meshes/m1/dataplanes/self-2")).StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Bad_requests_end_only_their_own_stream()
    {
        using var tenant = await Tenant("rules-bad", ("b1", "backend", 9001));
        await using var healthy = await Connect(tenant, "healthy");
        await healthy.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        var baseline = await healthy.NextAsync();

        await using (var unknownType = await Connect(tenant, "unknown"))
        {
            await unknownType.SendAsync("type.googleapis.com/not.a.Type");
            Assert.True(await unknownType.NothingWithinAsync(Quiet)); // nothing to offer, and the stream stays up
            // A secret that is not the proxy's own (SDS is served, but only a proxy's own mesh's names): none arrives.
            await unknownType.SendAsync("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", ["x"]);
            await unknownType.SendAsync(TypeUrls.Cluster, ["backend"]);
            var answers = new List<Envoy.Service.Discovery.V3.DiscoveryResponse>();
            do answers.Add(await unknownType.NextAsync());
            while (answers[^1].TypeUrl != TypeUrls.Cluster);
            Assert.All(answers.Where(r => r.TypeUrl != TypeUrls.Cluster), r => Assert.Empty(r.Resources));
        }
        await using (var greedy = await Connect(tenant, "greedy"))
        {
            await greedy.SendAsync(TypeUrls.ClusterLoadAssignment, Enumerable.Range(0, 100_000).Select(i => $"svc-{i}"));
            Assert.Equal(StatusCode.InvalidArgument, await greedy.StatusAsync());
        }
        await using (var anonymous = new AdsClient(fixture.DpAddress, "", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "anon")))
        {
            await anonymous.SendAsync(TypeUrls.Cluster);
            Assert.Equal(StatusCode.InvalidArgument, await anonymous.StatusAsync());
        }

        (await tenant.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "backend", "10.0.0.2", 9002)))).EnsureSuccessStatusCode();
        Assert.NotEqual(baseline.VersionInfo, (await healthy.NextAsync()).VersionInfo);
    }

    [Fact]
    public async Task A_change_in_another_mesh_reaches_no_proxy_of_this_one()
    {
        using var tenant = await Tenant("rules-other-mesh", ("b1", "backend", 9001));
        (await tenant.PutAsync("/meshes/m2", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        await using var ads = await Connect(tenant, "client");
        await ads.SendAsync(TypeUrls.ClusterLoadAssignment, ["backend"]);
        await ads.AckAsync(await ads.NextAsync(), ["backend"]);

        (await tenant.PutAsync("/meshes/m2/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m2", "b1", "backend", "10.0.0.7", 9001)))).EnsureSuccessStatusCode();
        Assert.True(await ads.NothingWithinAsync(Quiet));
    }

    [Fact]
    public async Task A_proxy_of_a_deleted_mesh_is_told_once_left_alone_and_refused_by_a_new_mesh_of_that_name()
    {
        using var tenant = await Tenant("rules-mesh-gone", ("b1", "backend", 9001));
        await using var ads = await Connect(tenant, "client");
        await ads.SendAsync(TypeUrls.Listener, ["backend"]);
        await ads.AckAsync(await ads.NextAsync(), ["backend"]);

        (await tenant.DeleteAsync("/meshes/m1/dataplanes/b1")).EnsureSuccessStatusCode();
        var gone = await ads.NextAsync();
        Assert.Empty(gone.Resources);
        await ads.AckAsync(gone, ["backend"]);
        Assert.Equal(HttpStatusCode.OK, (await tenant.DeleteAsync("/meshes/m1")).StatusCode);
        Assert.True(await ads.NothingWithinAsync(Quiet)); // already empty: nothing more to say, and no spinning to say it
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/b1", ControlPlane.Json(Samples.Dataplane("m1", "b1", "backend", "10.0.0.1", 9001)))).EnsureSuccessStatusCode();
        // Its token was issued in the deleted mesh (as in Kuma, whose mesh signing key goes with the mesh).
        Assert.Equal(StatusCode.Unauthenticated, await ads.StatusAsync());
    }

    [Fact]
    public async Task Waiting_on_an_absent_mesh_waits_instead_of_spinning()
    {
        var grains = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IGrainFactory>(Cp.Services);
        var absent = grains.GetGrain<Kuma.Grains.IMeshGrain>(Kuma.Grains.GrainKeys.Mesh("nobody", "nothing"));
        Assert.Null(await absent.WaitForChange(5, TimeSpan.FromSeconds(5))); // not at 5: answered at once
        var waited = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await absent.WaitForChange(-1, TimeSpan.FromMilliseconds(800)));
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(700), $"answered after {waited.Elapsed}");
    }

    [Fact]
    public async Task An_expired_dataplane_token_is_refused()
    {
        using var tenant = await Tenant("rules-expired");
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "late", validFor: "1s");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        StatusCode status;
        do
        {
            await using var ads = new AdsClient(fixture.DpAddress, "m1.late", token);
            await ads.SendAsync(TypeUrls.Cluster);
            status = await ads.StatusAsync(TimeSpan.FromSeconds(2));
        }
        while (status != StatusCode.Unauthenticated && DateTime.UtcNow < deadline);
        Assert.Equal(StatusCode.Unauthenticated, status);
    }

    [Fact]
    public async Task A_proxy_that_never_reads_loses_only_its_own_stream()
    {
        using var tenant = await Tenant("rules-stuck");
        var tags = string.Join(',', Enumerable.Range(0, 400).Select(i => $"\"t{i:D3}\":\"{new string('v', 40)}\""));
        var services = Enumerable.Range(0, 12).Select(i => $"svc-{i}").ToList();
        foreach (var service in services)
        {
            var body = $"{{\"networking\":{{\"address\":\"10.0.0.1\",\"inbound\":[{{\"port\":9000,\"tags\":{{\"kuma.io/service\":\"{service}\",{tags}}}}}]}}}}";
            (await tenant.PutAsync($"/meshes/m1/dataplanes/{service}", ControlPlane.Json(body))).EnsureSuccessStatusCode();
        }
        await using var healthy = await Connect(tenant, "healthy");
        await healthy.SendAsync(TypeUrls.ClusterLoadAssignment, ["svc-0"]);
        await healthy.AckAsync(await healthy.NextAsync(), ["svc-0"]);

        // About 250 KB of endpoints for a client whose HTTP/2 window never reopens.
        using var handler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = 65535 };
        await using var stuck = new AdsClient(fixture.DpAddress, "m1.stuck", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "stuck"), handler: handler, read: false);
        await stuck.SendAsync(TypeUrls.ClusterLoadAssignment, services);
        await WaitFor(async () => (await tenant.GetAsync("/meshes/m1/dataplanes/stuck/_overview")).StatusCode == HttpStatusCode.OK);
        await WaitFor(async () => !(await Overview(tenant, "stuck"))["dataplaneInsight"]!["connected"]!.GetValue<bool>());

        // Meanwhile, and after, the other proxy is served as usual.
        var moved = Samples.Dataplane("m1", "svc-0", "svc-0", "10.0.0.2", 9000);
        (await tenant.PutAsync("/meshes/m1/dataplanes/svc-0", ControlPlane.Json(moved))).EnsureSuccessStatusCode();
        Assert.Equal(TypeUrls.ClusterLoadAssignment, (await healthy.NextAsync()).TypeUrl);
    }

    [Fact]
    public async Task The_config_view_shows_what_the_proxy_gets()
    {
        using var tenant = await Tenant("rules-config", ("b1", "backend", 9001));
        var config = JsonNode.Parse(await tenant.GetStringAsync("/meshes/m1/dataplanes/b1/_config?format=dump"))!;
        Assert.Equal(["inbound:10.0.0.1:9001", "outbound:127.0.0.1:10001"], config["listeners"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Contains(config["clusters"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "localhost:80");
        Assert.Equal("type.googleapis.com/envoy.config.listener.v3.Listener", config["listeners"]![0]!["@type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync("/meshes/m1/dataplanes/nope/_config")).StatusCode);
    }

    private static async Task WaitFor(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
