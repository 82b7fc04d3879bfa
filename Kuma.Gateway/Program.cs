using Kuma.Configuration;
using Kuma.Gateway.Hosting;

// The gateway tier on its own: an Orleans client of a silo cluster that shares its Postgres database.
try
{
    var settings = ConfigFile.Load(args);
    var store = StoreOptions.From(settings);
    if (store.Type != StoreType.Postgres)
        throw new KumaConfigurationException("a standalone gateway joins silos through Postgres: set KUMA_STORE_TYPE=postgres and the KUMA_STORE_POSTGRES_* variables");
    var cluster = KumaClusterOptions.From(settings);

    var builder = WebApplication.CreateBuilder(args);
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
    });
    builder.Services.AddKumaApi(settings);
    builder.ListenKumaApi(settings);
    await using var app = builder.Build();
    app.MapKumaApi();
    await app.RunAsync();
    return 0;
}
catch (KumaConfigurationException e)
{
    await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
    return 2;
}
