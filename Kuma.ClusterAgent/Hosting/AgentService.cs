using Kuma.ClusterAgent.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>Runs the agent's loops in the host: discovers the policy CRDs, then watches and reconciles until shutdown.</summary>
internal sealed partial class AgentService(
    k8s.Kubernetes kubernetes, ControlPlaneClient api, AgentOptions options, AgentReadiness readiness, TimeProvider time, ILoggerFactory loggers)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var logger = loggers.CreateLogger<AgentService>();
        var delay = TimeSpan.FromSeconds(1);
        List<PolicyKind> kinds;
        while (true)
        {
            try
            {
                kinds = await PolicyKindDiscovery.DiscoverAsync(kubernetes, stoppingToken);
                break;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
            {
                LogDiscoveryFailed(logger, e.Message, delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
        LogStarting(logger, options.Zone, kinds.Count);
        var agent = new Sync.ClusterAgent(kubernetes, api, options.Zone, kinds, time, loggers);
        readiness.Agent = agent;
        await agent.RunAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster agent of zone {Zone} starting: {Kinds} policy kinds")]
    private static partial void LogStarting(ILogger logger, string zone, int kinds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing the cluster's CRDs failed ({Reason}); retrying in {Delay}")]
    private static partial void LogDiscoveryFailed(ILogger logger, string reason, TimeSpan delay);
}

/// <summary>Ready once the first reconcile pass over a fully listed cluster is done.</summary>
internal sealed class AgentReadiness
{
    public Sync.ClusterAgent? Agent { get; set; }

    public bool IsReady => Agent is { Dataplanes.Passes: > 0 };
}
