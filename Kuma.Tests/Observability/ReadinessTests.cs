using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Observability;

public sealed class ReadinessTests
{
    private static HttpClient Diagnostics(KumaSettings settings) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{settings.GetInt("KUMA_DIAGNOSTICS_SERVER_PORT", 0)}") };

    private static async Task<(HttpStatusCode Status, JsonNode Body)> ReadyAsync(HttpClient diagnostics)
    {
        var response = await diagnostics.GetAsync("/ready");
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task A_control_plane_on_memory_is_healthy_and_ready_with_every_check_passed()
    {
        await using var cp = await ControlPlane.StartAsync();
        using var diagnostics = Diagnostics(cp.Settings);

        var healthy = await diagnostics.GetAsync("/healthy");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("ok\n", await healthy.Content.ReadAsStringAsync());
        HttpStatusCode status = 0;
        string body = "";
        await Eventually.HoldsAsync(async () =>
        {
            var ready = await diagnostics.GetAsync("/ready");
            (status, body) = (ready.StatusCode, await ready.Content.ReadAsStringAsync());
            return status == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(10), "ready");
        Assert.Equal("""{"status":"ready","checks":{"store":"ok","cluster":"ok","dpServer":"ok"}}""", body);
        // The API's paths are not served here, nor the diagnostics' on the API port.
        Assert.Equal(HttpStatusCode.NotFound, (await diagnostics.GetAsync("/meshes")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cp.Client.GetAsync("/ready")).StatusCode);
    }

    [Fact]
    public async Task A_frozen_store_makes_the_control_plane_not_ready_and_its_return_ready_again()
    {
        var postgres = await PostgresServer.StartAsync(durable: false);
        try
        {
            await using var cp = await ControlPlane.StartAsync(await postgres.CreateDatabaseAsync("ready"));
            using var diagnostics = Diagnostics(cp.Settings);
            await Eventually.HoldsAsync(async () => (await ReadyAsync(diagnostics)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "ready before the outage");

            await postgres.FreezeAsync();
            try
            {
                (HttpStatusCode Status, JsonNode Body) answer = (0, new JsonObject());
                await Eventually.HoldsAsync(async () => (answer = await ReadyAsync(diagnostics)).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), "not ready while the store is frozen");
                Assert.Equal("not ready", answer.Body["status"]!.GetValue<string>());
                Assert.StartsWith("PostgreSQL does not answer", answer.Body["checks"]!["store"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Equal("ok", answer.Body["checks"]!["dpServer"]!.GetValue<string>());
                // Alive all along: an orchestrator must not restart it for the store's outage.
                Assert.Equal(HttpStatusCode.OK, (await diagnostics.GetAsync("/healthy")).StatusCode);
            }
            finally
            {
                await postgres.ThawAsync();
            }
            await Eventually.HoldsAsync(async () => (await ReadyAsync(diagnostics)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "ready again after the store returns");
        }
        finally
        {
            await postgres.StopAsync();
        }
    }

    [Fact]
    public async Task A_gateway_cut_off_from_its_silo_is_not_ready_refuses_new_streams_and_bootstraps_then_recovers()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("cutoff");
        await using var silo = await ControlPlaneProcess.StartAsync(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
            ["KUMA_CLUSTER_ID"] = "cutoff",
        });
        var (apiPort, dpPort) = (FreePort.Next(), FreePort.Next());
        var settings = new KumaSettings(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
            ["KUMA_CLUSTER_ID"] = "cutoff",
            ["KUMA_API_SERVER_HTTP_PORT"] = apiPort.ToString(CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = dpPort.ToString(CultureInfo.InvariantCulture),
            ["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1",
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_CLUSTER_CUT_OFF_AFTER"] = "3s",
        });
        await using var gateway = await GatewayHost.StartAsync(settings, []);
        using var diagnostics = Diagnostics(settings);
        var dpAddress = $"http://127.0.0.1:{dpPort}";
        using var tenant = await ProcessTenant.CreateAsync($"http://127.0.0.1:{apiPort}", "cutoff");
        await ProcessTenant.PutMeshAndDataplaneAsync(tenant, "b1");
        (await tenant.PutAsync("/meshes/m1/dataplanes/b2", ControlPlane.Json(Samples.Dataplane("m1", "b2", "backend", "10.0.0.2", 9001)))).EnsureSuccessStatusCode();
        var b2Token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "b2");
        await Eventually.HoldsAsync(async () => (await ReadyAsync(diagnostics)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "the gateway is ready");

        await using var before = await ProcessTenant.ConnectAsync(dpAddress, tenant, "b1");
        await before.SendAsync(TypeUrls.Cluster);
        await before.AckAsync(await before.NextOfTypeAsync(TypeUrls.Cluster));

        silo.Child.Signal("STOP");
        try
        {
            (HttpStatusCode Status, JsonNode Body) answer = (0, new JsonObject());
            await Eventually.HoldsAsync(async () => (answer = await ReadyAsync(diagnostics)).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), "not ready while cut off");
            Assert.Equal("not connected to the control plane cluster", answer.Body["checks"]!["cluster"]!.GetValue<string>());
            Assert.Equal("ok", answer.Body["checks"]!["store"]!.GetValue<string>());

            await using (var refused = new Xds.AdsClient(dpAddress, "m1.b2", b2Token))
            {
                await refused.SendAsync(TypeUrls.Cluster);
                var end = await refused.EndAsync();
                Assert.Equal((StatusCode.Unavailable, "not connected to the control plane cluster"), (end.StatusCode, end.Detail));
            }
            using var http = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            var bootstrap = await http.PostAsync($"{dpAddress}/bootstrap", ControlPlane.Json($$"""{"mesh":"m1","name":"b2","dataplaneToken":"{{b2Token}}"}"""));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, bootstrap.StatusCode);
            Assert.Equal("2", bootstrap.Headers.RetryAfter?.ToString());
            Assert.Equal("not connected to the control plane cluster", await bootstrap.Content.ReadAsStringAsync());

            // The stream opened before keeps its config: nothing ended it.
            Assert.Equal(StatusCode.DeadlineExceeded, await before.StatusAsync(TimeSpan.FromMilliseconds(500)));
        }
        finally
        {
            silo.Child.Signal("CONT");
        }

        await Eventually.HoldsAsync(async () => (await ReadyAsync(diagnostics)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready again once the silo answers");
        await using var after = new Xds.AdsClient(dpAddress, "m1.b2", b2Token);
        await after.SendAsync(TypeUrls.Cluster);
        Assert.Equal(TypeUrls.Cluster, (await after.NextOfTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(20))).TypeUrl);
    }
}
