using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Envoy.Config.Bootstrap.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>The DP server's defaults: TLS with the cluster's generated certificate, and kuma-dp's bootstrap call.</summary>
public sealed class DpServerTlsTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private static readonly JsonParser Parser = Kuma.Gateway.Dp.BootstrapJson.Parser;

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Bootstrap_over_tls_points_envoy_back_at_the_control_plane_and_ads_works_with_its_ca()
    {
        var (tenantClient, token) = await FirstContactDpClient.MeshWithWebAsync(Cp, "tls");
        using var tenant = tenantClient;
        // First contact: trust is established by what the bootstrap hands out, checked below.
        using var firstContact = new FirstContactDpClient(Cp.DpPort);
        var dp = firstContact.Http;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/bootstrap") { Content = JsonContent.Create(new { mesh = "m1", name = "web", dataplaneToken = token, workdir = "/tmp/kuma-dp-4711", metricsResources = new { certPath = "/etc/kuma/metrics.crt", keyPath = "/etc/kuma/metrics.key" } }) };
        request.Headers.Accept.ParseAdd("application/json");
        var response = await dp.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var bootstrap = Parser.Parse<Bootstrap>(Encoding.UTF8.GetString(Convert.FromBase64String(body["bootstrap"]!.GetValue<string>())));

        Assert.Equal("m1.web", bootstrap.Node.Id);
        // kuma-dp's work directory and metrics certificate travel to the ADS stream in node metadata, as Kuma's bootstrap carries them.
        // So does Envoy's admin port (the dataplane's networking.admin.port, else 9901), which the admin listener reads.
        Assert.Equal(
            new ProxyNode("/etc/kuma/metrics.crt", "/etc/kuma/metrics.key", "/tmp/kuma-dp-4711") { Admin = new AdminFacts(9901, "127.0.0.1", "", 0) { Ipv6Enabled = false } },
            ProxyNode.Of(bootstrap.Node.Metadata));
        // Kuma's runtime layer lifts RE2's program size limit, which long generated regexes would otherwise exceed.
        var runtime = Assert.Single(bootstrap.LayeredRuntime.Layers);
        Assert.Equal("kuma", runtime.Name);
        Assert.Equal(4294967295, runtime.StaticLayer.Fields["re2.max_program_size.error_level"].NumberValue);
        Assert.Equal(1000, runtime.StaticLayer.Fields["re2.max_program_size.warn_level"].NumberValue);
        var ads = bootstrap.DynamicResources.AdsConfig;
        Assert.Equal("ads_cluster", ads.GrpcServices[0].EnvoyGrpc.ClusterName);
        Assert.Equal(token, ads.GrpcServices[0].InitialMetadata.Single(h => h.Key == "authorization").Value);
        var cluster = bootstrap.StaticResources.Clusters.Single(c => c.Name == "ads_cluster");
        Assert.Equal((uint)Cp.DpPort, cluster.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue);
        // As Kuma's: TLS to the host kuma-dp used, verified against the cp_validation_ctx secret, which trusts the
        // server's (generated, self-signed) certificate and requires that host among its names.
        var tls = cluster.TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal("localhost", tls.Sni);
        Assert.Equal("cp_validation_ctx", tls.CommonTlsContext.ValidationContextSdsSecretConfig.Name);
        var secret = Assert.Single(bootstrap.StaticResources.Secrets);
        Assert.Equal("cp_validation_ctx", secret.Name);
        Assert.Equal(["localhost", "localhost"], secret.ValidationContext.MatchTypedSubjectAltNames.Select(m => m.Matcher.Exact));
        using var ca = X509Certificate2.CreateFromPem(secret.ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        Assert.Equal(firstContact.Presented[^1].Thumbprint, ca.Thumbprint);

        // ADS over TLS, trusting exactly that certificate.
        using var pinned = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Thumbprint == ca.Thumbprint };
        await using var client = new AdsClient($"https://localhost:{Cp.DpPort}", "m1.web", token, handler: pinned);
        await client.SendAsync(TypeUrls.Listener);
        Assert.Contains((await client.NextAsync()).Resources, r => r.Unpack<Envoy.Config.Listener.V3.Listener>().Name == "inbound:10.0.1.1:8080");
    }

    [Fact]
    public async Task Bootstrap_refuses_missing_and_bad_tokens_and_waits_for_unknown_dataplanes()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("tls-errors"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "later");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var dp = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{Cp.DpPort}") };

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await dp.PostAsJsonAsync("/bootstrap", new { mesh = "m1", name = "later" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await dp.PostAsJsonAsync("/bootstrap", new { mesh = "m1", name = "later", dataplaneToken = "x.y.z" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await dp.PostAsJsonAsync("/bootstrap", new { mesh = "m1", name = "other", dataplaneToken = token })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dp.PostAsJsonAsync("/bootstrap", new { mesh = "m1", name = "later", dataplaneToken = token })).StatusCode);
        var withResource = await dp.PostAsJsonAsync("/bootstrap", new { mesh = "m1", name = "later", dataplaneToken = token, dataplaneResource = Samples.Dataplane("m1", "later") });
        Assert.Equal(HttpStatusCode.OK, withResource.StatusCode);
    }
}
