using Kuma.Configuration;
using Kuma.Gateway.Diagnostics;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// The gateway tier on its own: the REST API as an Orleans client of a silo cluster found through the
/// shared Postgres membership table, so gateways and silos scale apart.
/// </summary>
public static class GatewayHost
{
    public static async Task<WebApplication> StartAsync(KumaSettings settings, string[] args, CancellationToken ct = default)
    {
        OpenFileLimit.Raise();
        var store = StoreOptions.From(settings);
        if (store.Type != StoreType.Postgres)
            throw new KumaConfigurationException("a standalone gateway finds its silos through Postgres: set KUMA_STORE_TYPE=postgres and the KUMA_STORE_POSTGRES_* variables");
        var cluster = KumaClusterOptions.From(settings);
        var maxDelay = StartupBackoff.MaxDelayFrom(settings);
        using var startupLogging = StartupLogging.Create();
        await PostgresReadiness.WaitAsync(store.PostgresConnectionString!, maxDelay, startupLogging.CreateLogger(StartupLogging.Category), ct);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = store.PostgresConnectionString;
            });
            // A killed silo must not hold this gateway's calls for the whole response timeout.
            client.Services.AddSingleton<SiloLossBreaker>();
            client.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<SiloLossBreaker>());
            client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<SiloLossBreaker>());
            // No silo up yet, or the membership table unreadable: keep trying rather than exit.
            client.Services.AddSingleton<IClientConnectionRetryFilter>(sp =>
                new ClusterConnectionRetry(maxDelay, sp.GetRequiredService<ILoggerFactory>().CreateLogger(StartupLogging.Category)));
        });
        builder.Services.AddKumaApi(settings);
        builder.ListenKumaApi(settings);
        builder.AddKumaDiagnostics(settings);
        var app = builder.Build();
        app.MapKumaApi();
        try
        {
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
            await app.StartAsync(starting.Token);
        }
        catch
        {
            await HostShutdown.AbandonAsync(app);
            throw;
        }
        return app;
    }
}
