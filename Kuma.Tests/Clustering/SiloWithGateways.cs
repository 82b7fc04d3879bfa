using System.Globalization;
using Kuma.Configuration;
using Kuma.Gateway.Dp;
using Kuma.Gateway.Hosting;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Clustering;

/// <summary>A silo-only control plane and standalone gateways on one PostgreSQL database, all in this process, DP servers in plaintext.</summary>
internal sealed class SiloWithGateways : IAsyncDisposable
{
    private readonly ControlPlane _silo;

    private SiloWithGateways(ControlPlane silo, IReadOnlyList<StandaloneGateway> gateways)
    {
        _silo = silo;
        Gateways = gateways;
    }

    public IReadOnlyList<StandaloneGateway> Gateways { get; }

    public static async Task<SiloWithGateways> StartAsync(string clusterId, int gateways, IDictionary<string, string> gatewaySettings)
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync(clusterId.Replace('-', '_'));
        var silo = await ControlPlane.StartAsync(database, new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = clusterId, ["KUMA_CLUSTER_ROLE"] = "silo" });
        var started = new List<StandaloneGateway>();
        try
        {
            for (var i = 0; i < gateways; i++)
            {
                var (api, dp) = (FreePort.Next(), FreePort.Next());
                var settings = new Dictionary<string, string>(gatewaySettings)
                {
                    ["KUMA_STORE_TYPE"] = "postgres",
                    ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
                    ["KUMA_CLUSTER_ID"] = clusterId,
                    ["KUMA_API_SERVER_HTTP_PORT"] = api.ToString(CultureInfo.InvariantCulture),
                    ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
                    ["KUMA_DP_SERVER_PORT"] = dp.ToString(CultureInfo.InvariantCulture),
                    ["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1",
                    ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
                    ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                };
                started.Add(new StandaloneGateway(await GatewayHost.StartAsync(new KumaSettings(settings), []), api, dp));
            }
            var cluster = new SiloWithGateways(silo, started);
            await Eventually.HoldsAsync(async () => (await started[0].Api.GetAsync("/meshes/default")).IsSuccessStatusCode, TimeSpan.FromSeconds(30),
                "the silo seeded the default mesh");
            return cluster;
        }
        catch
        {
            foreach (var gateway in started) await gateway.DisposeAsync();
            await silo.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in Gateways) await gateway.DisposeAsync();
        await _silo.DisposeAsync();
    }
}

internal sealed class StandaloneGateway(WebApplication app, int apiPort, int dpPort) : IAsyncDisposable
{
    public HttpClient Api { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
    public string DpAddress { get; } = $"http://127.0.0.1:{dpPort}";
    public int OpenStreams => app.Services.GetRequiredService<GatewayNode>().OpenStreams;
    public int OpenDpConnections => app.Services.GetRequiredService<ConnectionAges>().OpenCount;

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await app.DisposeAsync();
    }
}
