using System.Net;
using Kuma.Configuration;
using Kuma.Diagnostics;
using Kuma.Gateway.Diagnostics;
using Kuma.Gateway.Auth;
using Kuma.Gateway.Hosting;
using Kuma.Grains;
using Kuma.Hosting;
using Kuma.Policies;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Store.Postgres;
using Npgsql;

namespace Kuma.Silo;

/// <summary>
/// A whole control plane in one process: an Orleans silo with the REST API co-hosted, or (<see cref="ClusterRole.Silo"/>)
/// the silo alone behind standalone gateways. Several of them on one Postgres database form one cluster. Started while
/// PostgreSQL is down, it waits for it (see <see cref="PostgresReadiness"/>) instead of exiting.
/// </summary>
public static partial class ControlPlaneHost
{
    /// <param name="configureServices">Last word on the services, after the control plane's own (tests put fault-injecting stores here).</param>
    public static async Task<WebApplication> StartAsync(KumaSettings settings, string[] args, Action<IServiceCollection>? configureServices = null, CancellationToken ct = default)
    {
        OpenFileLimit.Raise();
        var store = StoreOptions.From(settings);
        var cluster = KumaClusterOptions.From(settings);
        var role = ClusterRoles.From(settings);
        if (role == ClusterRole.Silo && store.Type != StoreType.Postgres)
            throw new KumaConfigurationException("KUMA_CLUSTER_ROLE=silo serves gateways that find it through Postgres: set KUMA_STORE_TYPE=postgres");
        var pod = KubernetesHosting.From(settings, store, cluster, Environment.GetEnvironmentVariable);
        var maxDelay = StartupBackoff.MaxDelayFrom(settings);
        if (store.Type == StoreType.Postgres) await PrepareStoreAsync(store, maxDelay, ct);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddKumaStore(store);
        builder.Services.AddSingleton(PolicyTypes.Catalog);
        builder.Services.AddSingleton<IMeshDefaults>(DefaultPolicies.Instance);
        builder.UseOrleans(silo =>
        {
            // Orleans' Kubernetes hosting sets the cluster identity from its own variables; post-configuring keeps ours last.
            silo.Services.PostConfigure<Orleans.Configuration.ClusterOptions>(o =>
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
                if (pod is null)
                {
                    silo.ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort);
                }
                else
                {
                    // The pod's IP can change across restarts, so the silo listens on every address and advertises the current one.
                    silo.ConfigureEndpoints(pod.PodIp, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
                    // A silo declared dead stops itself once it hears so; one that is hung never hears it, and its pod would
                    // stay. Deleting it lets the Deployment start a fresh one.
                    silo.UseKubernetesHosting(o => o.Configure(h => h.DeleteDefunctSiloPods = true));
                }
                // Orleans' defaults (a probe every 5 s, dead after 3 misses) leave a killed silo's grains unreachable for 15 s
                // or more; proxies must hold the latest config within 5 s of a silo's death (issue 13), so a silo that does
                // not answer is declared dead after about 3 s. A starved host may then see false suspicions: raise these.
                silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = settings.GetDuration("KUMA_CLUSTER_PROBE_TIMEOUT", TimeSpan.FromSeconds(1));
                    o.NumMissedProbesLimit = settings.GetInt("KUMA_CLUSTER_MISSED_PROBES_LIMIT", 3);
                });
                // Behind a port forward (NAT, a relay) gateways reach the advertised port while the silo listens on another.
                if (settings.GetInt("KUMA_CLUSTER_GATEWAY_LISTEN_PORT", 0) is > 0 and var listen)
                    silo.Configure<Orleans.Configuration.EndpointOptions>(o => o.GatewayListeningEndpoint = new IPEndPoint(pod is null ? IPAddress.Parse(cluster.AdvertisedAddress) : IPAddress.Any, listen));
            }
            else
            {
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort);
            }
            silo.AddDataplaneInsightStorage(store, settings);
        });
        if (role == ClusterRole.All)
        {
            builder.Services.AddKumaApi(settings);
            builder.ListenKumaApi(settings);
        }
        // Silo only: no API or DP port; the diagnostics port is this process's only listener.
        builder.AddKumaDiagnostics(settings);
        builder.Services.AddSiloMembershipCheck();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        if (role == ClusterRole.All) app.MapKumaApi();
        try
        {
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
            await app.StartAsync(starting.Token);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupLogging.Category);
            await SeedWithRetryAsync(app.Services.GetRequiredService<IGrainFactory>(), settings, maxDelay, logger, starting.Token);
            LogSiloActive(logger, role.ToString().ToLowerInvariant(), cluster.ClusterId, pod?.PodIp.ToString() ?? cluster.AdvertisedAddress, cluster.SiloPort, cluster.GatewayPort);
        }
        catch
        {
            await HostShutdown.AbandonAsync(app);
            throw;
        }
        return app;
    }

    /// <summary>
    /// Waits for PostgreSQL (logging one line per failed attempt) and applies the schema when
    /// <c>KUMA_STORE_POSTGRES_AUTO_MIGRATE</c> is on; a store that goes away during the migration is waited
    /// for again. Throws <see cref="StoreRejectedException"/> for what waiting cannot fix.
    /// </summary>
    private static async Task PrepareStoreAsync(StoreOptions store, TimeSpan maxDelay, CancellationToken ct)
    {
        using var loggers = StartupLogging.Create();
        var logger = loggers.CreateLogger(StartupLogging.Category);
        var backoff = new StartupBackoff(maxDelay);
        while (true)
        {
            await PostgresReadiness.WaitAsync(store.PostgresConnectionString!, maxDelay, logger, ct);
            if (!store.AutoMigrate) return;
            try
            {
                await MigrateAsync(store, logger, ct);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && PostgresReadiness.Translate(store.PostgresConnectionString!, e) is { } translated)
            {
                if (translated is StoreRejectedException) throw translated;
                var delay = backoff.Next();
                LogMigrationInterrupted(logger, PostgresReadiness.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, ct);
            }
        }
    }

    /// <summary>Seeding runs right after the silo joined; a store that fails just then is retried, not fatal.</summary>
    private static async Task SeedWithRetryAsync(IGrainFactory grains, KumaSettings settings, TimeSpan maxDelay, ILogger logger, CancellationToken ct)
    {
        var backoff = new StartupBackoff(maxDelay);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SeedAsync(grains, settings).WaitAsync(ct);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && IsRetryableSeedFailure(e))
            {
                var delay = backoff.Next();
                LogSeedRetry(logger, attempt, e.GetType().Name, PostgresReadiness.Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, ct);
            }
        }
    }

    private static bool IsRetryableSeedFailure(Exception e) =>
        e is StoreUnavailableException or TimeoutException or OrleansException || PostgresReadiness.IsTransient(e);

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

    /// <summary>
    /// The <c>migrate</c> command: one attempt; a store that cannot be reached or refuses this process is
    /// reported as <see cref="StoreUnreachableException"/> or <see cref="StoreRejectedException"/> (one line each).
    /// </summary>
    public static async Task MigrateAsync(StoreOptions store, CancellationToken ct = default)
    {
        if (store.Type != StoreType.Postgres) throw new KumaConfigurationException("migrate needs KUMA_STORE_TYPE=postgres");
        using var loggers = StartupLogging.Create();
        try
        {
            await MigrateAsync(store, loggers.CreateLogger("Kuma.Migrations"), ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && PostgresReadiness.Translate(store.PostgresConnectionString!, e) is { } translated)
        {
            throw translated;
        }
    }

    private static async Task MigrateAsync(StoreOptions store, ILogger logger, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(store.PostgresConnectionString!);
        await PostgresSchema.MigrateAsync(dataSource, logger, ct);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Schema migration interrupted: {Reason}; waiting for PostgreSQL again in {RetryInSeconds:0.0} s")]
    private static partial void LogMigrationInterrupted(ILogger logger, string reason, double retryInSeconds);

    // Scripts wait for this line (scripts/local-cluster.sh): Orleans' ports accept connections before the silo is active.
    [LoggerMessage(EventId = 12, Level = LogLevel.Information,
        Message = "Silo active in cluster {ClusterId} (role {Role}) at {Address}:{SiloPort}, clients on port {GatewayPort}")]
    private static partial void LogSiloActive(ILogger logger, string role, string clusterId, string address, int siloPort, int gatewayPort);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning,
        Message = "Could not create the default tenant and mesh (attempt {Attempt}): {Kind}: {Reason}; retrying in {RetryInSeconds:0.0} s")]
    private static partial void LogSeedRetry(ILogger logger, int attempt, string kind, string reason, double retryInSeconds);
}
