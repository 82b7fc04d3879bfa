using Kuma.Cleanup;
using Kuma.Configuration;
using Kuma.Store;
using Kuma.Store.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Kuma.Hosting;

public static class StoreServices
{
    /// <summary>Registers the resource store the options name; the grains take it from here.</summary>
    public static IServiceCollection AddKumaStore(this IServiceCollection services, StoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        if (options.Type == StoreType.Postgres)
        {
            // The server-side bound backs up each caller's own: no statement on this pool waits on a stalled
            // server longer than the store timeout (Npgsql's default is 30 s).
            var bounded = new NpgsqlConnectionStringBuilder(options.PostgresConnectionString!)
            {
                CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.Timeout.TotalSeconds)),
            };
            services.AddSingleton(_ => NpgsqlDataSource.Create(bounded.ConnectionString));
            services.AddSingleton<IResourceStore>(sp =>
            {
                var dataSource = sp.GetRequiredService<NpgsqlDataSource>();
                var postgres = new PostgresResourceStore(dataSource, sp.GetRequiredService<TimeProvider>());
                var outages = new OutageLog("Store", sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<GuardedStore>());
                return new GuardedStore(postgres, outages, options.Timeout, dataSource.Clear);
            });
            services.AddSingleton<ISelfRegisteredLeaseStore, PostgresSelfRegisteredLeaseStore>();
        }
        else
        {
            services.AddSingleton<IResourceStore, MemoryResourceStore>();
            services.AddSingleton<ISelfRegisteredLeaseStore, MemorySelfRegisteredLeaseStore>();
        }
        // Every silo sweeps the leases: the cleanup of a self-registered dataplane survives the silo that scheduled it.
        services.AddHostedService<SelfRegisteredSweeper>();
        return services;
    }
}
