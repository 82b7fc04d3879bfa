using Kuma.Grains;
using Kuma.Resilience;
using Kuma.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kuma.Cleanup;

/// <summary>
/// Deletes self-registered dataplanes whose lease ran out, on every silo. A delete that fails (store
/// down, the dataplane's grain on a silo not yet declared dead) stays due and is tried again, with a
/// pause of its own growing while its failures go on, so one stuck dataplane delays no other. Two silos finding the same lease meet in the session grain, which
/// takes one call at a time and re-reads the lease, so the second finds nothing to do.
/// </summary>
internal sealed partial class SelfRegisteredSweeper(
    ISelfRegisteredLeaseStore leases, IGrainFactory grains, TimeProvider clock, ILogger<SelfRegisteredSweeper> logger) : BackgroundService
{
    // The due query is one range scan of an index, so a short pause costs little and keeps cleanup close to its deadline.
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(15);
    private const int BatchSize = 100;

    private readonly FailureKinds _reported = new();
    /// <summary>Leases whose delete failed: when each may be tried again, and its current pause. Only due leases are kept.</summary>
    private readonly Dictionary<LeaseHolder, (DateTimeOffset NotBefore, TimeSpan Pause)> _retries = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = Interval;
        while (true)
        {
            try
            {
                await Task.Delay(pause, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            pause = await SweepOnceAsync(stoppingToken) ? Interval : Backoff.Next(pause, LongestPause);
        }
    }

    /// <summary>One pass over what is due; false when the due leases could not even be listed.</summary>
    internal async Task<bool> SweepOnceAsync(CancellationToken ct)
    {
        IReadOnlyList<SelfRegisteredLease> due;
        try
        {
            due = await leases.DueAsync(clock.GetUtcNow(), BatchSize, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            if (_reported.IsNew("list", e)) LogListFailed(logger, e.GetType().Name, e.Message);
            return false;
        }
        var now = clock.GetUtcNow();
        foreach (var gone in _retries.Keys.Except(due.Select(l => l.Holder)).ToList()) _retries.Remove(gone);
        var ready = due.Where(l => !_retries.TryGetValue(l.Holder, out var retry) || retry.NotBefore <= now).ToList();
        var outcomes = await Task.WhenAll(ready.Select(lease => DeleteAsync(lease, ct)));
        for (var i = 0; i < ready.Count; i++)
        {
            if (outcomes[i])
            {
                _retries.Remove(ready[i].Holder);
                continue;
            }
            var pause = Backoff.Next(_retries.TryGetValue(ready[i].Holder, out var last) ? last.Pause : Interval, LongestPause);
            _retries[ready[i].Holder] = (now + pause, pause);
        }
        if (_retries.Count == 0 && _reported.Clear()) LogRecovered(logger);
        return true;
    }

    private async Task<bool> DeleteAsync(SelfRegisteredLease lease, CancellationToken ct)
    {
        try
        {
            var session = grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(lease.Tenant, lease.Mesh, lease.Name));
            await session.DeleteIfAbandoned(lease.Session).WaitAsync(ct);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Once per kind of failure: an outage would otherwise log a stack trace per dataplane per pass.
            if (_reported.IsNew("delete", e)) LogDeleteFailed(logger, lease.Tenant, lease.Mesh, lease.Name, e.GetType().Name, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot list self-registered dataplanes due for cleanup ({Kind}: {Reason}); retrying with back-off")]
    private static partial void LogListFailed(ILogger logger, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cannot delete self-registered dataplane {Tenant}/{Mesh}/{Name} ({Kind}: {Reason}); retrying with back-off, further failures of this kind are not logged")]
    private static partial void LogDeleteFailed(ILogger logger, string tenant, string mesh, string name, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-registered dataplane cleanup works again")]
    private static partial void LogRecovered(ILogger logger);
}
