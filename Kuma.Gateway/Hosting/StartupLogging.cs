namespace Kuma.Gateway.Hosting;

/// <summary>
/// Logging before the host exists (waiting for the store, migrating): one line per entry on the console,
/// so that a wait that lasts minutes reads as one line per attempt.
/// </summary>
public static class StartupLogging
{
    public const string Category = "Kuma.Startup";

    public static ILoggerFactory Create() =>
        LoggerFactory.Create(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        }));
}
