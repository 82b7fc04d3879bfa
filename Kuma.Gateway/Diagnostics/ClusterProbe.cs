using Kuma.Diagnostics;

namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// Pings the cluster once a second with a stateless grain call. A node that has had no answer for
/// <see cref="DiagnosticsOptions.ClusterCutOffAfter"/>, to the ping or to any other grain call (<see cref="ClusterContact"/>), is cut off: it is not ready and refuses new ADS streams
/// and bootstraps, while the streams it holds keep their config. The next answer restores it.
/// </summary>
public sealed partial class ClusterProbe(IGrainFactory grains, ClusterContact contact, DiagnosticsOptions options, TimeProvider clock, ILogger<ClusterProbe> logger) : BackgroundService
{
    public const string CutOffMessage = "not connected to the control plane cluster";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private bool _reportedCutOff;

    /// <summary>When the cluster last answered; null before the first answer.</summary>
    public DateTimeOffset? LastAnswer => contact.LastAnswer;

    /// <summary>No answer for the cut-off time (counted from start-up until the first one).</summary>
    public bool CutOff => clock.GetUtcNow() - (LastAnswer ?? _started) > options.ClusterCutOffAfter;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            await ProbeOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task ProbeOnceAsync(CancellationToken ct)
    {
        try
        {
            await grains.GetGrain<IClusterProbeGrain>(0).Ping().WaitAsync(CallTimeout, clock, ct);
            contact.Answered();
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
        {
            if (CutOff && !_reportedCutOff)
            {
                _reportedCutOff = true;
                LogCutOff(logger, options.ClusterCutOffAfter.TotalSeconds, e.GetType().Name, e.Message);
            }
            return;
        }
        if (_reportedCutOff && !CutOff)
        {
            _reportedCutOff = false;
            LogReconnected(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut off from the control plane cluster: no answer for {Seconds} s ({Kind}: {Reason}); not ready, new proxy streams are refused")]
    private static partial void LogCutOff(ILogger logger, double seconds, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the control plane cluster again; taking new proxy streams")]
    private static partial void LogReconnected(ILogger logger);
}
