using System.Net;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Google.Protobuf;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>The plaintext DP port: kuma-dp's HTTP/1.1 bootstrap call and Envoy's HTTP/2 (prior knowledge) ADS stream on one port.</summary>
public sealed class PlaintextBootstrapTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Kuma_dps_http11_request_gets_kumas_bootstrap_and_envoys_ads_stream_works_on_the_same_port()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("plain-boot"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(
            """{"type":"Dataplane","mesh":"m1","name":"web","networking":{"address":"10.0.1.1","admin":{"port":4321},"inbound":[{"port":8080,"tags":{"kuma.io/service":"web-svc"}}]}}"""))).EnsureSuccessStatusCode();
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web");
        using var dp = new HttpClient { BaseAddress = new Uri(fixture.DpAddress) };

        using var response = await dp.SendAsync(KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token)));
        Assert.Equal(HttpVersion.Version11, response.Version);
        var (bootstrap, answer) = await KumaDpRequests.ReadAsync(response);

        Assert.Equal("m1.web", bootstrap.Node.Id);
        Assert.Equal("web-svc", bootstrap.Node.Cluster);
        Assert.Equal(JsonNode.Parse("""
            {
              "version": {"kumaDp": {"version": "2.14.3", "gitTag": "v2.14.3", "gitCommit": "0000000", "buildDate": "2026-01-01T00:00:00Z"},
                          "envoy": {"version": "1.36.2", "build": "hash/1.36.2/Clean/RELEASE/BoringSSL", "kumaDpCompatible": true}},
              "features": ["feature-tcp-accesslog-via-named-pipe", "feature-transparent-proxy-in-dataplane-metadata"],
              "workdir": "/tmp/kuma-dp-1234", "metricsCertPath": "", "metricsKeyPath": "", "systemCaPath": "", "ipv6Enabled": false,
              "spireAgent.socketPath": "", "dataplane.admin.port": "4321", "dataplane.admin.address": "127.0.0.1",
              "dataplane.dns.port": "15054", "dataplane.readinessReporter.port": "9902", "dataplane.proxyType": "dataplane"
            }
            """)!.ToJsonString(), JsonNode.Parse(JsonFormatter.Default.Format(bootstrap.Node.Metadata))!.ToJsonString());
        // What generation reads back from the node the bootstrap names: kuma-dp's DNS, admin and readiness ports.
        Assert.Equal(
            new ProxyNode("", "", "/tmp/kuma-dp-1234") { DnsPort = 15054, Admin = new AdminFacts(4321, "127.0.0.1", "", 9902) { Ipv6Enabled = false } },
            ProxyNode.Of(bootstrap.Node.Metadata));
        Assert.Equal("127.0.0.1:4321", $"{bootstrap.Admin.Address.SocketAddress.Address}:{bootstrap.Admin.Address.SocketAddress.PortValue}");

        // Plaintext: Envoy dials the port without TLS and is given nothing to verify.
        Assert.Equal(["access_log_sink", "ads_cluster"], bootstrap.StaticResources.Clusters.Select(c => c.Name));
        Assert.Equal("/tmp/kuma-dp-1234/kuma-al-web-m1.sock", bootstrap.StaticResources.Clusters[0].LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.Pipe.Path);
        var ads = bootstrap.StaticResources.Clusters[1];
        Assert.Equal(Cluster.Types.DiscoveryType.Static, ads.Type);
        Assert.Equal($"127.0.0.1:{Cp.DpPort}", $"{ads.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address}:{ads.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.PortValue}");
        Assert.Null(ads.TransportSocket);
        Assert.Empty(bootstrap.StaticResources.Secrets);
        Assert.Equal("""{"networking":{"corefileTemplate":null,"address":"10.0.1.1"},"metrics":{"aggregate":[]}}""", answer["kumaSidecarConfiguration"]!.ToJsonString());

        // Envoy's side of the same port: HTTP/2 with prior knowledge, the bootstrap's node and token.
        await using var envoy = new AdsClient(fixture.DpAddress, bootstrap.Node.Id, token, bootstrap.Node.Metadata);
        await envoy.SendAsync(TypeUrls.Listener);
        Assert.Contains((await envoy.NextOfTypeAsync(TypeUrls.Listener)).Resources, r => r.Unpack<Envoy.Config.Listener.V3.Listener>().Name == "inbound:10.0.1.1:8080");

        // And the bootstrap call in HTTP/2 with prior knowledge answers the same.
        using var overH2 = await dp.SendAsync(KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token), HttpVersion.Version20));
        Assert.Equal(HttpVersion.Version20, overH2.Version);
        Assert.Equal(bootstrap, (await KumaDpRequests.ReadAsync(overH2)).Bootstrap);
    }

    [Fact]
    public async Task Bad_requests_get_400_or_422_with_the_reason()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("plain-bad"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web");
        using var dp = new HttpClient { BaseAddress = new Uri(fixture.DpAddress) };
        var resource = """{"type":"Dataplane","mesh":"m1","name":"web","networking":{"address":"10.0.1.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web"}}],"outbound":[{"port":9000,"tags":{"kuma.io/service":"db"}}]}}""";
        JsonObject With(string field, JsonNode? value)
        {
            var body = KumaDpRequests.Body("m1", "web", token);
            body[field] = value;
            return body;
        }
        JsonObject TransparentProxy(string dataplaneResource)
        {
            var body = With("dataplaneResource", dataplaneResource);
            body["dataplaneConfig"] = JsonNode.Parse("""{"redirect":{"inbound":{"enabled":true,"port":15006},"outbound":{"enabled":true,"port":15001}}}""");
            return body;
        }

        var cases = new (string Body, HttpStatusCode Status, string Answer)[]
        {
            ("not json", HttpStatusCode.BadRequest, "could not parse the body as JSON"),
            (With("dnsPort", "53").ToJsonString(), HttpStatusCode.BadRequest, "could not parse the bootstrap request: "),
            (With("mesh", null).ToJsonString(), HttpStatusCode.BadRequest, "could not parse the bootstrap request: "),
            (With("name", "").ToJsonString(), HttpStatusCode.UnprocessableEntity, "mesh and name are required"),
            (With("dataplaneToken", "").ToJsonString(), HttpStatusCode.UnprocessableEntity, "Dataplane Token is required"),
            (With("proxyType", "ingress").ToJsonString(), HttpStatusCode.UnprocessableEntity, "proxy type ingress is not served by this control plane (only dataplane)"),
            (With("dataplaneToken", "x.y.z").ToJsonString(), HttpStatusCode.Unauthorized, ""),
            (With("dataplaneResource", """{"type":"Dataplane","mesh":"m1","name":"web","networking":{"address":""}}""").ToJsonString(), HttpStatusCode.UnprocessableEntity, "networking.address"),
            (TransparentProxy(resource).ToJsonString(), HttpStatusCode.UnprocessableEntity, "outbound: should be empty since dataplane is in Transparent Proxying mode"),
            (With("dataplaneResource", "{").ToJsonString(), HttpStatusCode.UnprocessableEntity, "dataplaneResource: "),
            (KumaDpRequests.Body("m1", "web", token).ToJsonString(), HttpStatusCode.NotFound, ""),
        };
        var answers = new List<string>();
        foreach (var (body, _, _) in cases)
        {
            using var response = await dp.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/bootstrap") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") });
            answers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var wrong = cases.Zip(answers)
            .Where(c => !c.Second.StartsWith($"{(int)c.First.Status} ", StringComparison.Ordinal) || !c.Second.Contains(c.First.Answer, StringComparison.Ordinal))
            .Select(c => $"{c.First.Body[..Math.Min(60, c.First.Body.Length)]} -> {c.Second}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
