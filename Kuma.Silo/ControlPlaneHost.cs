using System.Net;
using Kuma.Configuration;
using Kuma.Gateway.Auth;
using Kuma.Gateway.Hosting;
using Kuma.Grains;
using Kuma.Hosting;
using Kuma.Resources;
using Kuma.Store.Postgres;
using Npgsql;

namespace Kuma.Silo;

/// <summary>
/// A whole control plane in one process: an Orleans silo with the REST API co-hosted. Several of them
/// on one Postgres database form one cluster.
/// </summary>
public static class ControlPlaneHost
{
    /// <param name="configureServices">Last word on the services, after the control plane's own (tests put fault-injecting stores here).</param>
    public static async Task<WebApplication> StartAsync(KumaSettings settings, string[] args, Action<IServiceCollection>? configureServices = null, CancellationToken ct = default)
    {
        OpenFileLimit.Raise();
        var store = StoreOptions.From(settings);
        var cluster = KumaClusterOptions.From(settings);
        if (store is { Type: StoreType.Postgres, AutoMigrate: true }) await MigrateAsync(store, ct);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddKumaStore(store);
        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            if (store.Type == StoreType.Postgres)
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = store.PostgresConnectionString;
                });
                silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort);
            }
            else
            {
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort);
            }
        });
        builder.Services.AddKumaApi(settings);
        builder.ListenKumaApi(settings);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapKumaApi();
        await app.StartAsync(ct);
        await SeedAsync(app.Services.GetRequiredService<IGrainFactory>(), settings);
        return app;
    }

    /// <summary>The default tenant always exists (plain paths from the admin act in it) and, as in Kuma, holds a mesh named default.</summary>
    private static async Task SeedAsync(IGrainFactory grains, KumaSettings settings)
    {
        var tenant = grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(Caller.DefaultTenant));
        await tenant.EnsureExists();
        if (settings.GetBool("KUMA_DEFAULTS_SKIP_MESH_CREATION", false)) return;
        var mesh = await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(Caller.DefaultTenant, "default")).GetSnapshot();
        if (mesh is null)
        {
            await tenant.PutMesh(new ResourceWrite
            {
                Key = ResourceKey.Global(Caller.DefaultTenant, ResourceTypes.Mesh.Name, "default"),
                SpecJson = "{}",
            });
        }
    }

    public static async Task MigrateAsync(StoreOptions store, CancellationToken ct = default)
    {
        if (store.Type != StoreType.Postgres) throw new KumaConfigurationException("migrate needs KUMA_STORE_TYPE=postgres");
        using var loggers = LoggerFactory.Create(b => b.AddConsole());
        await using var dataSource = NpgsqlDataSource.Create(store.PostgresConnectionString!);
        await PostgresSchema.MigrateAsync(dataSource, loggers.CreateLogger("Kuma.Migrations"), ct);
    }
}
