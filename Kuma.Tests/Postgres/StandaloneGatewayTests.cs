using System.Globalization;
using System.Net;
using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Postgres;

public sealed class StandaloneGatewayTests
{
    [Fact]
    public async Task A_gateway_without_a_silo_of_its_own_serves_the_clusters_api()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("gateway");
        var cluster = new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = "tiers" };
        await using var silo = await ControlPlane.StartAsync(database, cluster);
        var gatewayPort = FreePort.Next();
        var settings = new KumaSettings(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
            ["KUMA_CLUSTER_ID"] = "tiers",
            ["KUMA_API_SERVER_HTTP_PORT"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        });
        await using var gateway = await GatewayHost.StartAsync(settings, []);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };

        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/edge", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/edge/dataplanes/dp", ControlPlane.Json(Samples.Dataplane("edge", "dp")))).StatusCode);
        Assert.Equal(await silo.Client.GetStringAsync("/meshes/edge/dataplanes/dp"), await client.GetStringAsync("/meshes/edge/dataplanes/dp"));

        var token = await client.PostAsync("/tokens/user", ControlPlane.Json("""{"name":"admin","groups":["mesh-system:admin"],"validFor":"1h"}"""));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        using var viaSilo = silo.NewClient(await token.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await viaSilo.GetAsync("/meshes/edge")).StatusCode); // keys are the cluster's, not the gateway's
    }

    [Fact]
    public async Task A_gateway_refuses_to_start_without_postgres()
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = "memory" });
        var error = await Assert.ThrowsAsync<KumaConfigurationException>(() => GatewayHost.StartAsync(settings, []));
        Assert.Contains("KUMA_STORE_TYPE=postgres", error.Message, StringComparison.Ordinal);
    }
}
