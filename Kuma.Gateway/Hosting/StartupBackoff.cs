using Kuma.Configuration;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// Delays between start-up attempts against a dependency that is not there yet (PostgreSQL, the silo
/// cluster): from about half a second, doubling up to a cap, each with ±25 % jitter so that a fleet
/// restarted together does not knock in step. Not thread-safe: one per retry loop.
/// </summary>
public sealed class StartupBackoff(TimeSpan maxDelay)
{
    public const string MaxDelaySetting = "KUMA_STORE_POSTGRES_STARTUP_RETRY_MAX_DELAY";
    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(15);

    private TimeSpan _next = InitialDelay < maxDelay ? InitialDelay : maxDelay;

    public TimeSpan MaxDelay { get; } = maxDelay;

    /// <summary>The cap from <see cref="MaxDelaySetting"/> (a duration such as <c>15s</c>).</summary>
    public static TimeSpan MaxDelayFrom(KumaSettings settings)
    {
        var max = settings.GetDuration(MaxDelaySetting, DefaultMaxDelay);
        return max > TimeSpan.Zero ? max : throw new KumaConfigurationException($"{MaxDelaySetting} must be positive, got '{settings.Get(MaxDelaySetting)}'");
    }

    public TimeSpan Next()
    {
        var jittered = _next * (0.75 + (Random.Shared.NextDouble() * 0.5));
        _next = _next * 2 < MaxDelay ? _next * 2 : MaxDelay;
        return jittered < MaxDelay ? jittered : MaxDelay;
    }

    /// <summary>Waits the next delay; false (no exception) when <paramref name="ct"/> ends the wait.</summary>
    public static async Task<bool> WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
