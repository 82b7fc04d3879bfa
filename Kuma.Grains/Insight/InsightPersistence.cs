using Kuma.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kuma.Grains;

/// <param name="FlushInterval">How often a session grain writes a changed insight at most (Kuma's status flush interval).</param>
/// <param name="Timeout">How long loading an insight may take before the grain starts without it.</param>
public sealed record InsightPersistenceOptions(TimeSpan FlushInterval, TimeSpan Timeout)
{
    public static InsightPersistenceOptions From(KumaSettings settings, StoreOptions store)
    {
        var interval = settings.GetDuration("KUMA_XDS_SERVER_DATAPLANE_STATUS_FLUSH_INTERVAL", TimeSpan.FromSeconds(10));
        return interval > TimeSpan.Zero
            ? new InsightPersistenceOptions(interval, store.Timeout)
            : throw new KumaConfigurationException($"KUMA_XDS_SERVER_DATAPLANE_STATUS_FLUSH_INTERVAL must be positive, got {interval}");
    }
}

/// <summary>
/// Where dataplane insights are kept between activations: the Orleans grain storage named <see cref="Name"/>, on
/// PostgreSQL (table <c>orleans_grain_state</c>, see <see cref="Store.Postgres.OrleansPersistenceSchema"/>) or in memory.
/// </summary>
public static class InsightPersistence
{
    public const string Name = "dataplane-insight";

    public static ISiloBuilder AddDataplaneInsightStorage(this ISiloBuilder silo, StoreOptions store, KumaSettings settings)
    {
        silo.Services.AddSingleton(InsightPersistenceOptions.From(settings, store));
        silo.Services.AddSingleton(new InsightWriteSlots(InsightWriteSlots.PerSilo));
        if (store.Type == StoreType.Postgres)
        {
            // Every statement bounded by the store timeout, as the resource store's are: a stalled server delays a flush, never a stream.
            var bounded = new NpgsqlConnectionStringBuilder(store.PostgresConnectionString!)
            {
                CommandTimeout = Math.Max(1, (int)Math.Ceiling(store.Timeout.TotalSeconds)),
            };
            silo.AddAdoNetGrainStorage(Name, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = bounded.ConnectionString;
                o.GrainStorageSerializer = InsightStateSerializer.Instance;
            });
        }
        else
        {
            silo.AddMemoryGrainStorage(Name, o => o.GrainStorageSerializer = InsightStateSerializer.Instance);
        }
        return silo;
    }
}
