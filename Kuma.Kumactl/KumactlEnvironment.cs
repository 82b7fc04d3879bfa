namespace Kuma.Kumactl;

/// <summary>
/// Everything a command touches outside its arguments, so tests run commands in-process: the streams, the clock
/// (ages in tables), where the config file lives by default, and how HTTP requests leave.
/// </summary>
public sealed class KumactlEnvironment
{
    public required TextWriter Out { get; init; }
    public required TextWriter Err { get; init; }
    public TextReader In { get; init; } = TextReader.Null;
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Kuma's default: <c>~/.kumactl/config</c>.</summary>
    public string DefaultConfigFile { get; init; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kumactl", "config");

    /// <summary>Replaces the handler built from a control plane's TLS settings; null sends real requests.</summary>
    public Func<HttpMessageHandler>? HttpHandler { get; init; }

    public static KumactlEnvironment FromConsole() => new() { Out = Console.Out, Err = Console.Error, In = Console.In };
}
