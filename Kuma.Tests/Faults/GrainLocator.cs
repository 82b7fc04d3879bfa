using Kuma.Grains;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Kuma.Tests.Faults;

/// <summary>
/// An Orleans client of a <see cref="ClusterProcesses"/> cluster inside the test, only to ask where a grain is active,
/// so that a test kills the silo holding what it wants to see move.
/// </summary>
public sealed class GrainLocator : IAsyncDisposable
{
    private readonly IHost _host;

    private GrainLocator(IHost host) => _host = host;

    public static async Task<GrainLocator> StartAsync(string database, string clusterId)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .UseOrleansClient(client =>
            {
                client.Configure<Orleans.Configuration.ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = "kuma-cp";
                });
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database;
                });
            })
            .Build();
        await host.StartAsync();
        return new GrainLocator(host);
    }

    /// <summary>The silo port of the silo where the mesh grain of <paramref name="mesh"/> (default tenant) is active, if it is.</summary>
    public async Task<int?> SiloPortOfMeshAsync(string mesh)
    {
        var grains = _host.Services.GetRequiredService<IClusterClient>();
        var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grains.GetGrain<IMeshGrain>(GrainKeys.Mesh("default", mesh)));
        return address?.Endpoint.Port;
    }

    /// <summary>The silo of <paramref name="cluster"/> holding the mesh grain of <paramref name="mesh"/>.</summary>
    public async Task<ClusterNode> SiloOfMeshAsync(ClusterProcesses cluster, string mesh)
    {
        var port = await SiloPortOfMeshAsync(mesh);
        return cluster.Silos.Single(s => s.SiloPort == port);
    }

    public async ValueTask DisposeAsync()
    {
        // The cluster may be gone already; a client that cannot say goodbye is fine here.
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _host.StopAsync(quick.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or OrleansException)
        {
        }
        _host.Dispose();
    }
}
