using Kuma.Store;

namespace Kuma.Gateway.Auth;

/// <summary>
/// How many nodes serve the API, for sharing a tenant's rate fairly among them: the cluster's active
/// silos (each co-hosts the API), asked of the management grain in the background every few seconds so
/// no request waits for it. Until the first answer, and whenever none can be had, the last known count
/// stands (1 at first: each node then enforces the whole limit).
/// </summary>
public sealed class ApiNodeCount(IGrainFactory grains, TimeProvider clock, ILogger<ApiNodeCount> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);
    private readonly OutageLog _outages = new("cluster membership (count of API nodes; the last known count is kept)", clock, logger);
    private int _count = 1;

    /// <summary>At least 1.</summary>
    public int Count => Volatile.Read(ref _count);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, clock);
        try
        {
            do await RefreshAsync();
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task RefreshAsync()
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            Volatile.Write(ref _count, Math.Max(1, hosts.Count));
            _outages.RecordSuccess();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _outages.RecordFailure(e.GetType().Name, e.Message);
        }
    }
}
