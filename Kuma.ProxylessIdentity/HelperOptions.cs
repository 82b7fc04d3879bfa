using System.Globalization;
using System.Text.RegularExpressions;

namespace Kuma.ProxylessIdentity;

/// <summary>The command line of <c>kuma-proxyless-identity</c>, checked as a whole so every mistake is reported at once.</summary>
internal sealed partial record HelperOptions(
    Uri Address,
    string Mesh,
    string Name,
    string TokenFile,
    string Directory,
    string? BootstrapOut,
    string? CaCertFile,
    string? Zone,
    TimeSpan PollInterval,
    TimeSpan RefreshInterval,
    bool Once)
{
    public const string Usage = """
        kuma-proxyless-identity keeps a proxyless gRPC workload's mesh identity in files and writes its xDS bootstrap.

          --address URL           the control plane's DP server (http://host:5678 or https://host:5678)
          --mesh MESH --name NAME the workload's Dataplane (or --node-id MESH.NAME)
          --token-file FILE       its dataplane token (read again on every poll, so it can be rotated)
          --dir DIR               where cert.pem, key.pem and ca.pem are kept
          --bootstrap-out FILE    write a gRPC xDS bootstrap naming those files (optional)
          --ca-cert-file FILE     CA of the DP server's TLS certificate (https only; default: system roots)
          --zone ZONE             locality zone in the bootstrap's node (optional)
          --poll-interval 5s      how often to ask the control plane whether there is a new certificate
          --refresh-interval 5s   how often gRPC reads the files again (file_watcher refresh_interval)
          --once                  write the files once and exit (0 when written, 1 otherwise)

        Exit codes: 0 stopped (or --once succeeded), 1 --once failed, 2 bad arguments.
        """;

    private static readonly string[] Flags = ["--address", "--mesh", "--name", "--node-id", "--token-file", "--dir", "--bootstrap-out", "--ca-cert-file", "--zone", "--poll-interval", "--refresh-interval"];

    /// <summary>The options, or the list of what is wrong with <paramref name="args"/>.</summary>
    public static (HelperOptions? Options, List<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var errors = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var once = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--once")
            {
                once = true;
                continue;
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var (flag, inline) = arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (!Flags.Contains(flag))
            {
                errors.Add($"unknown argument '{arg}'");
                continue;
            }
            var value = inline ?? (i + 1 < args.Count ? args[++i] : null);
            if (value is null) errors.Add($"{flag} needs a value");
            else if (!values.TryAdd(flag, value)) errors.Add($"{flag} is given twice");
        }

        var address = Required(values, "--address", errors) is { } a ? ParseAddress(a, errors) : null;
        var (mesh, name) = NodeName(values, errors);
        var tokenFile = Required(values, "--token-file", errors);
        var directory = Required(values, "--dir", errors);
        var caCertFile = values.GetValueOrDefault("--ca-cert-file");
        if (caCertFile is not null && address is { Scheme: "http" }) errors.Add("--ca-cert-file is for an https --address");
        var poll = Interval(values, "--poll-interval", errors);
        var refresh = Interval(values, "--refresh-interval", errors);
        if (errors.Count > 0) return (null, errors);
        return (new HelperOptions(address!, mesh!, name!, tokenFile!, directory!, values.GetValueOrDefault("--bootstrap-out"), caCertFile,
            values.GetValueOrDefault("--zone"), poll, refresh, once), errors);
    }

    private static string? Required(Dictionary<string, string> values, string flag, List<string> errors)
    {
        if (values.TryGetValue(flag, out var value) && value.Length > 0) return value;
        errors.Add($"{flag} is required");
        return null;
    }

    private static Uri? ParseAddress(string text, List<string> errors)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && uri.Query.Length == 0)
            return uri;
        errors.Add($"--address '{text}' must be http://host:port or https://host:port");
        return null;
    }

    private static (string? Mesh, string? Name) NodeName(Dictionary<string, string> values, List<string> errors)
    {
        if (values.TryGetValue("--node-id", out var nodeId))
        {
            if (values.ContainsKey("--mesh") || values.ContainsKey("--name")) errors.Add("give either --node-id or --mesh and --name");
            var dot = nodeId.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && dot < nodeId.Length - 1) return (nodeId[..dot], nodeId[(dot + 1)..]);
            errors.Add($"--node-id '{nodeId}' is not of the form <mesh>.<name>");
            return (null, null);
        }
        return (Required(values, "--mesh", errors), Required(values, "--name", errors));
    }

    private static TimeSpan Interval(Dictionary<string, string> values, string flag, List<string> errors)
    {
        if (!values.TryGetValue(flag, out var text)) return TimeSpan.FromSeconds(5);
        if (TryParseDuration(text, out var interval) && interval >= TimeSpan.FromMilliseconds(100)) return interval;
        errors.Add($"{flag} '{text}' must be a duration of at least 100ms such as 500ms, 5s or 1m");
        return TimeSpan.Zero;
    }

    [GeneratedRegex(@"^(\d+)(ms|s|m|h)\z")]
    private static partial Regex Duration();

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = Duration().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 86_400_000) return false;
        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromHours(n),
        };
        return true;
    }

    /// <summary>gRPC's JSON form of a duration (seconds with an <c>s</c>).</summary>
    public static string GrpcDuration(TimeSpan duration) =>
        duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
