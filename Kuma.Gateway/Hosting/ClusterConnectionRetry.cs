using Orleans;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// The gateway's Orleans client keeps trying to reach the cluster while no silo is up yet or the
/// membership table cannot be read (the store is down), with <see cref="StartupBackoff"/> between
/// attempts and one log line each, until the host is asked to stop.
/// </summary>
public sealed partial class ClusterConnectionRetry(TimeSpan maxDelay, ILogger logger) : IClientConnectionRetryFilter
{
    private readonly StartupBackoff _backoff = new(maxDelay);
    private int _attempt;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        var delay = _backoff.Next();
        LogRetrying(logger, Interlocked.Increment(ref _attempt), exception.GetType().Name, PostgresReadiness.Describe(exception), delay.TotalSeconds);
        return await StartupBackoff.WaitAsync(delay, cancellationToken);
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Waiting for the control plane cluster (attempt {Attempt}): {Kind}: {Reason}; retrying in {RetryInSeconds:0.0} s")]
    private static partial void LogRetrying(ILogger logger, int attempt, string kind, string reason, double retryInSeconds);
}
