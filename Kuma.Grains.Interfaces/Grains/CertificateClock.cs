namespace Kuma.Grains;

/// <summary>
/// The time certificates are issued and renewed by, on silos and gateways alike. Its own service, so tests can move
/// it forward without moving the clock the cluster itself runs on.
/// </summary>
public sealed class CertificateClock(TimeProvider time)
{
    public static readonly CertificateClock System = new(TimeProvider.System);

    public TimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();
}
