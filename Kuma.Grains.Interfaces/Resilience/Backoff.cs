namespace Kuma.Resilience;

public static class Backoff
{
    /// <summary>Doubles the pause up to <paramref name="longest"/>, with up to a fifth of jitter so silos that failed together do not retry together.</summary>
    public static TimeSpan Next(TimeSpan pause, TimeSpan longest)
    {
        var doubled = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, longest.Ticks));
        return doubled + TimeSpan.FromTicks((long)(doubled.Ticks * 0.2 * Random.Shared.NextDouble()));
    }
}
