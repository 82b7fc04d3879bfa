using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Kuma.Tests.Infrastructure;

/// <summary>A Node.js script of examples/proxyless-grpc, run with the repository's pinned packages; its JSON output lines are collected.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonNode> _lines = Channel.CreateUnbounded<JsonNode>();
    private readonly List<string> _errors = [];

    private NodeProcess(string script, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(root, "examples", "proxyless-grpc"),
        };
        start.ArgumentList.Add(Path.Combine(root, "examples", "proxyless-grpc", script));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NODE_PATH"] = Path.Combine(root, "node", "node_modules");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                return;
            }
            try
            {
                if (JsonNode.Parse(e.Data) is { } line) _lines.Writer.TryWrite(line);
            }
            catch (System.Text.Json.JsonException)
            {
                lock (_errors) _errors.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_errors) _errors.Add(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static NodeProcess Start(string script, IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        new(script, args, environment);

    public string ErrorOutput
    {
        get
        {
            lock (_errors) return string.Join('\n', _errors);
        }
    }

    /// <summary>The next line the script printed; fails the test with its stderr when none comes in time.</summary>
    public async Task<JsonNode> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new InvalidOperationException($"no output from node within {timeout}; stderr: {ErrorOutput}", e);
        }
    }

    /// <summary>Reads lines until one satisfies <paramref name="predicate"/>, returning every line read on the way.</summary>
    public async Task<List<JsonNode>> ReadUntilAsync(Func<JsonNode, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = new List<JsonNode>();
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                throw new TimeoutException($"condition not met within {timeout}; last lines: {string.Join(' ', seen.TakeLast(5).Select(l => l.ToJsonString()))}; stderr: {ErrorOutput}");
            var line = await NextAsync(remaining);
            seen.Add(line);
            if (predicate(line)) return seen;
        }
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kuma.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Kuma.sln not found above the test binaries");
    }

    public ValueTask DisposeAsync() => ProcessStop.CloseInputAndStopAsync(_process, TimeSpan.FromSeconds(3));
}
