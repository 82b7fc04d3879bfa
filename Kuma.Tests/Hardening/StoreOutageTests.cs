using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Hardening;

/// <summary>
/// Findings 3 and 7 against a real PostgreSQL this test owns: frozen (SIGSTOP, a network black hole)
/// during an update, and stopped and restarted. The API answers 503 with Retry-After, what needs no
/// store keeps answering, and afterwards the API, <c>_config</c> and a connected proxy agree.
/// </summary>
public sealed class StoreOutageTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_store_frozen_during_an_update_leaves_api_config_and_proxy_agreeing_and_the_next_put_succeeds()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            await using var cp = await ControlPlane.StartAsync(await server.CreateDatabaseAsync("frozen"), new Dictionary<string, string>
            {
                ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
                ["KUMA_STORE_TIMEOUT"] = "2s",
            });
            using var tenant = cp.NewClient(await cp.CreateTenantAsync("frozen"));
            (await tenant.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
            (await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();
            await using var proxy = new AdsClient($"http://127.0.0.1:{cp.DpPort}", "shop.web", await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web"));
            await proxy.SendAsync(TypeUrls.Listener);
            var probe = new AgreementProbe(tenant, proxy, "shop", "web", 8080);
            Assert.True(await probe.ProxyShowsAsync("10.0.0.1", Converge));

            await server.FreezeAsync();
            HttpResponseMessage answer;
            try
            {
                var put = tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.2", 8080)));
                // What needs no store answers while the write waits on the frozen one.
                var token = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "other");
                var config = await tenant.GetAsync("/meshes/shop/dataplanes/web/_config");
                Assert.False(put.IsCompleted, "token issuing and _config waited behind the stuck write");
                Assert.Equal(HttpStatusCode.OK, config.StatusCode);
                Assert.NotEmpty(token);
                // What kumactl inspect reads: from the grains where they hold it, else a prompt 503, never a hang or a 500.
                var insights = new List<string>();
                foreach (var path in new[] { "/meshes/shop/dataplanes+insights", "/meshes/shop/service-insights", "/mesh-insights/shop", "/global-insight" })
                {
                    var response = await tenant.GetAsync(path);
                    insights.Add($"{path} {(int)response.StatusCode} {response.Headers.RetryAfter is not null}");
                }
                Assert.Equal(["/meshes/shop/dataplanes+insights 200 False", "/meshes/shop/service-insights 200 False",
                    "/mesh-insights/shop 503 True", "/global-insight 503 True"], insights);
                answer = await put;
            }
            finally
            {
                await server.ThawAsync();
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.NotNull(answer.Headers.RetryAfter);
            var error = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            Assert.Equal(503, error["status"]!.GetValue<int>());
            Assert.Equal("Service Unavailable", error["title"]!.GetValue<string>());

            var agreed = await probe.AgreedAddressAsync(Converge);
            Assert.True(agreed is "10.0.0.1" or "10.0.0.2", agreed);

            var next = await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.3", 8080)));
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            Assert.Equal("10.0.0.3", await probe.AgreedAddressAsync(Converge));
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_stopped_store_answers_503_with_retry_after_and_the_first_requests_after_it_returns_succeed()
    {
        var server = await PostgresServer.StartAsync(durable: false);
        try
        {
            await using var cp = await ControlPlane.StartAsync(await server.CreateDatabaseAsync("outage"), new Dictionary<string, string> { ["KUMA_STORE_TIMEOUT"] = "2s" });
            using var tenant = cp.NewClient(await cp.CreateTenantAsync("outage"));
            (await tenant.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
            (await tenant.PutAsync("/meshes/shop/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("shop", "web-1")))).EnsureSuccessStatusCode();

            // A restart with no request in between: the pool still holds the connections that died with it.
            await server.StopServingAsync();
            await server.ResumeServingAsync();
            Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/shop/dataplanes")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await tenant.PutAsync("/meshes/shop/dataplanes/web-2", ControlPlane.Json(Samples.Dataplane("shop", "web-2")))).StatusCode);

            await server.StopServingAsync();
            try
            {
                var answers = new List<HttpResponseMessage>();
                for (var i = 0; i < 20; i++)
                {
                    answers.Add(await tenant.GetAsync("/meshes/shop/dataplanes"));
                    answers.Add(await tenant.PutAsync($"/meshes/shop/dataplanes/down-{i}", ControlPlane.Json(Samples.Dataplane("shop", $"down-{i}"))));
                }
                foreach (var answer in answers)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                    Assert.NotNull(answer.Headers.RetryAfter);
                    var error = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
                    Assert.Equal("Service Unavailable", error["title"]!.GetValue<string>());
                }
            }
            finally
            {
                await server.ResumeServingAsync();
            }

            Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/shop/dataplanes/web-1")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await tenant.PutAsync("/meshes/shop/dataplanes/web-3", ControlPlane.Json(Samples.Dataplane("shop", "web-3")))).StatusCode);
            var list = JsonNode.Parse(await tenant.GetStringAsync("/meshes/shop/dataplanes"))!;
            Assert.Equal(["web-1", "web-2", "web-3"], list["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
