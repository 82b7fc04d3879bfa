using System.Net;
using Kuma.Configuration;
using Kuma.Gateway.Dp;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// The diagnostics server in any host, by one call: the co-hosted silo, a silo on its own, a standalone gateway.
/// What it checks follows what the host runs (a store, a silo's membership, a DP server with its cluster probe).
/// </summary>
public static class DiagnosticsServices
{
    public static void AddKumaDiagnostics(this WebApplicationBuilder builder, KumaSettings settings)
    {
        var options = DiagnosticsOptions.From(settings);
        var store = StoreOptions.From(settings);
        LogFormat.Configure(builder.Logging, settings);
        builder.Services.AddSingleton(options);
        builder.Services.TryAddSingleton(TimeProvider.System); // a silo-only host has no gateway tier to register it
        builder.Services.AddSingleton<MetricsExporter>();
        builder.Services.AddSingleton(sp => new Readiness(
            store, sp, sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<DiagnosticsEndpoints>();
        builder.Services.AddSingleton<UsageCounters>();
        builder.Services.AddHostedService<UsageFlusher>();
        // Only a node with a DP server probes the cluster: it is what refuses streams when cut off.
        builder.Services.AddSingleton<ClusterContact>();
        builder.Services.AddSingleton<IOutgoingGrainCallFilter, ClusterContactFilter>();
        builder.Services.AddSingleton<ClusterProbe>();
        builder.Services.AddHostedService(sp => new ClusterProbeRunner(sp));
        builder.Services.AddSingleton<IStartupFilter>(new DiagnosticsPortFilter(options.Port));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.Interface), options.Port));
    }

    /// <summary>Requests on the diagnostics port are answered before anything else of the pipeline sees them.</summary>
    private sealed class DiagnosticsPortFilter(int port) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var endpoints = app.ApplicationServices.GetRequiredService<DiagnosticsEndpoints>();
            app.MapWhen(context => context.Connection.LocalPort == port, diagnostics => diagnostics.Run(endpoints.HandleAsync));
            next(app);
        };
    }

    private sealed class ClusterProbeRunner(IServiceProvider services) : IHostedService
    {
        private readonly ClusterProbe? _probe = services.GetService<GatewayNode>() is null ? null : services.GetRequiredService<ClusterProbe>();

        public Task StartAsync(CancellationToken cancellationToken) => _probe?.StartAsync(cancellationToken) ?? Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => _probe?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
