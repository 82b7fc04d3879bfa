using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Silo;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Clustering;

/// <summary>KUMA_CLUSTER_ROLE=silo: a silo with no API or DP port of its own, serving the cluster's grains to standalone gateways.</summary>
public sealed class SiloRoleTests
{
    [Fact]
    public async Task A_silo_only_process_opens_no_api_or_dp_port_and_serves_a_standalone_gateway()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("siloonly");
        await using var silo = await ControlPlane.StartAsync(database, new Dictionary<string, string>
        {
            ["KUMA_CLUSTER_ID"] = "silo-only",
            ["KUMA_CLUSTER_ROLE"] = "silo",
        });
        var gatewayPort = FreePort.Next();
        await using var gateway = await GatewayHost.StartAsync(new KumaSettings(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
            ["KUMA_CLUSTER_ID"] = "silo-only",
            ["KUMA_API_SERVER_HTTP_PORT"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        }), []);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };

        // The silo seeds the default mesh as a co-hosted one does; the gateway reads it through the grains.
        await Eventually.HoldsAsync(async () => (await client.GetAsync("/meshes/default")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30),
            "the gateway serves the default mesh the silo seeded");
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/edge", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/meshes/edge")).StatusCode);

        int[] siloPorts = [silo.ApiPort, silo.DpPort, int.Parse(silo.Settings.GetString("KUMA_API_SERVER_HTTPS_PORT", "0"), CultureInfo.InvariantCulture)];
        Assert.Equal(siloPorts.Select(p => (p, false)), await Task.WhenAll(siloPorts.Select(async p => (p, await AcceptsAsync(p)))));
        Assert.True(await AcceptsAsync(gatewayPort)); // the probe itself sees a listening port

        // Its one listener is the diagnostics port: ready once it is active in the membership table.
        using var diagnostics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Settings.GetString("KUMA_DIAGNOSTICS_SERVER_PORT", "")}") };
        await Eventually.HoldsAsync(async () => (await diagnostics.GetAsync("/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the silo-only process is ready");
        Assert.Equal("""{"status":"ready","checks":{"store":"ok","cluster":"ok","dpServer":"ok"}}""", await diagnostics.GetStringAsync("/ready"));
        Assert.Equal(HttpStatusCode.NotFound, (await diagnostics.GetAsync("/meshes")).StatusCode);
    }

    [Theory]
    [InlineData("memory", "silo", "KUMA_CLUSTER_ROLE=silo serves gateways that find it through Postgres: set KUMA_STORE_TYPE=postgres")]
    [InlineData("memory", "gateway", "KUMA_CLUSTER_ROLE must be all or silo, not 'gateway' (a gateway on its own is Kuma.Gateway)")]
    public async Task A_role_that_cannot_work_is_a_configuration_error(string store, string role, string message)
    {
        var settings = new KumaSettings(new Dictionary<string, string> { ["KUMA_STORE_TYPE"] = store, ["KUMA_CLUSTER_ROLE"] = role });
        var error = await Assert.ThrowsAsync<KumaConfigurationException>(() => ControlPlaneHost.StartAsync(settings, []));
        Assert.Equal(message, error.Message);
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
