using System.Collections.Immutable;
using Kuma.Resilience;
using Kuma.Grains;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Keeps the self-registered dataplanes of this gateway's open streams from being cleaned up: every third
/// of the lease, one batched renewal. When this process dies the renewals stop and the leases run out.
/// </summary>
public sealed partial class SelfRegisteredLeaseRenewer(GatewayNode node, IGrainFactory grains, DpServerOptions options, ILogger<SelfRegisteredLeaseRenewer> logger)
    : BackgroundService
{
    // Bounds each call: a gateway with many thousands of such proxies renews in several modest writes.
    private const int BatchSize = 1000;
    private readonly FailureKinds _reported = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Three renewals per lease: one lost to a store blip does not cost a live proxy its dataplane.
        using var timer = new PeriodicTimer(options.SelfRegisteredLease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await RenewAsync(node.Holders());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RenewAsync(ImmutableArray<LeaseHolder> holders)
    {
        var holdFor = options.SelfRegisteredLease + options.SelfRegisteredCleanupDelay;
        try
        {
            foreach (var batch in holders.Chunk(BatchSize))
                await grains.GetGrain<ISelfRegisteredLeaseGrain>(0).Renew([.. batch], holdFor);
            if (_reported.Clear()) LogRecovered(logger);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The next tick tries again; a lease outlives two missed renewals.
            if (_reported.IsNew("renew", e)) LogRenewFailed(logger, holders.Length, e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot renew the leases of {Count} self-registered dataplanes ({Kind}: {Reason}); retrying on the next tick")]
    private static partial void LogRenewFailed(ILogger logger, int count, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Renewing self-registered dataplane leases works again")]
    private static partial void LogRecovered(ILogger logger);
}
