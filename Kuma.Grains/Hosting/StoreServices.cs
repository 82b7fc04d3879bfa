using Kuma.Cleanup;
using Kuma.Configuration;
using Kuma.Diagnostics;
using Kuma.Grains;
using Kuma.Store;
using Kuma.Store.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.TryAddSingleton(CertificateClock.System);
        if (options.Type == StoreType.Postgres)
        {
            // The store timeout bounds every statement on this pool (Npgsql's default is 30 s); a stalled server
            // then costs a caller at most this plus Npgsql's cancellation grace before it gets a 503.
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
                return new MeteredStore(new GuardedStore(postgres, outages, dataSource.Clear));
            });
            services.AddSingleton<ISelfRegisteredLeaseStore, PostgresSelfRegisteredLeaseStore>();
        }
        else
        {
            services.AddSingleton<IResourceStore>(sp => new MeteredStore(ActivatorUtilities.CreateInstance<MemoryResourceStore>(sp)));
            services.AddSingleton<ISelfRegisteredLeaseStore, MemorySelfRegisteredLeaseStore>();
        }
        // Every silo sweeps the leases: the cleanup of a self-registered dataplane survives the silo that scheduled it.
        services.AddHostedService<SelfRegisteredSweeper>();
        return services;
    }
}
