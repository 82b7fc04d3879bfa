using System.Net;
using System.Net.Http.Headers;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Observability;

/// <summary>The diagnostics port of a control plane in its own process (its meters are its own), scraped after real traffic.</summary>
public sealed class MetricsTests
{
    private const string Tenant = "metrics";

    [Fact]
    public async Task A_scrape_after_real_traffic_shows_each_family_with_its_labels()
    {
        await using var cp = await ControlPlaneProcess.StartAsync();
        using var diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cp.DiagnosticsPort}") };
        using var tenant = await ProcessTenant.CreateAsync(cp.ApiAddress, Tenant);
        await ProcessTenant.PutMeshAndDataplaneAsync(tenant, "b1");
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/m1/dataplanes/b1")).StatusCode);
        using (var stranger = new HttpClient { BaseAddress = new Uri(cp.ApiAddress) })
        {
            // An unauthenticated caller naming a tenant in the path: its request counts, under no tenant of its choosing.
            stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/tenants/intruder/meshes")).StatusCode);
        }

        await using (var ads = await ProcessTenant.ConnectAsync(cp.DpAddress, tenant, "b1"))
        {
            await ads.SendAsync(TypeUrls.Cluster);
            var cds = await ads.NextOfTypeAsync(TypeUrls.Cluster);
            await ads.AckAsync(cds);
            await ads.SendAsync(TypeUrls.Listener);
            var lds = await ads.NextOfTypeAsync(TypeUrls.Listener);
            await ads.SendAsync(TypeUrls.Listener, version: "", nonce: lds.Nonce, error: "listener rejected by test");

            IReadOnlyList<Sample> scrape = [];
            await Eventually.HoldsAsync(async () =>
            {
                scrape = Exposition.Parse(await diagnostics.GetStringAsync("/metrics"));
                return scrape.Value("xds_requests_received", ("confirmation", "NACK"), ("tenant", Tenant), ("type_url", TypeUrls.Listener)) == 1;
            }, TimeSpan.FromSeconds(10), "the NACK is counted");

            Assert.Equal(1, scrape.Value("xds_streams_active", ("tenant", Tenant)));
            Assert.Equal(1, scrape.Value("xds_requests_received", ("confirmation", "ACK"), ("tenant", Tenant), ("type_url", TypeUrls.Cluster)));
            Assert.Null(scrape.Value("xds_requests_received", ("confirmation", "NACK"), ("tenant", Tenant), ("type_url", TypeUrls.Cluster)));
            Assert.Equal(1, scrape.Value("xds_responses_sent", ("tenant", Tenant), ("type_url", TypeUrls.Cluster)));
            Assert.Equal(1, scrape.Value("xds_responses_sent", ("tenant", Tenant), ("type_url", TypeUrls.Listener)));
            Assert.Equal(1, scrape.Value("xds_delivery_count", ("tenant", Tenant), ("type_url", TypeUrls.Cluster)));
            // The NACKed listener was never delivered.
            Assert.Null(scrape.Value("xds_delivery_count", ("tenant", Tenant), ("type_url", TypeUrls.Listener)));
            Assert.True(scrape.Value("xds_generation_count", ("tenant", Tenant)) >= 1);
            Assert.Equal(scrape.Value("xds_generation_count", ("tenant", Tenant)), scrape.Value("xds_generation_bucket", ("le", "+Inf"), ("tenant", Tenant)));

            Assert.Equal(1, Requests(scrape, "201", "/meshes/{name}", "PUT", Tenant));
            Assert.Equal(1, Requests(scrape, "201", "/meshes/{mesh}/dataplanes/{name}", "PUT", Tenant));
            Assert.Equal(1, Requests(scrape, "200", "/meshes/{mesh}/dataplanes/{name}", "GET", Tenant));
            Assert.Equal(1, Requests(scrape, "401", "/tenants/{tenant}/meshes", "GET", "-"));
            Assert.DoesNotContain(scrape, s => s.Labels.Values.Any(v => v.Contains("intruder", StringComparison.Ordinal)));

            Assert.True(scrape.Value("store_count", ("operation", "create")) >= 2);
            Assert.True(scrape.Value("store_count", ("operation", "get")) >= 1);
            Assert.Contains(scrape, s => s.Name.StartsWith("microsoft_orleans_", StringComparison.Ordinal) && s.Name.Contains("activation", StringComparison.Ordinal));
        }

        // The proxy left: it no longer counts as connected.
        await Eventually.HoldsAsync(async () =>
            Exposition.Parse(await diagnostics.GetStringAsync("/metrics")).Value("xds_streams_active", ("tenant", Tenant)) == 0,
            TimeSpan.FromSeconds(10), "the stream is no longer active");
    }

    private static double? Requests(IReadOnlyList<Sample> scrape, string code, string handler, string method, string tenant) =>
        scrape.Value("api_server_http_request_duration_seconds_count", ("code", code), ("handler", handler), ("method", method), ("tenant", tenant));
}
