using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.StrictClient;

/// <summary>
/// <c>strict_client.py</c> on Debian's python3-grpcio (gRPC C-core) as a proxyless caller of <c>xds:///target</c>,
/// bootstrapped against a control plane with a dataplane token in its node metadata; its JSON lines are collected.
/// </summary>
internal sealed class StrictClientProcess : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    private static readonly string[] XdsV3 = ["xds_v3"];

    private readonly Process _process;
    private readonly Channel<JsonNode> _lines = Channel.CreateUnbounded<JsonNode>();
    private readonly List<string> _errors = [];

    private StrictClientProcess(int dpPort, string mesh, string name, string token, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "StrictClient", "strict_client.py"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // C-core reads the bootstrap from this variable (1.51 supports it beside GRPC_XDS_BOOTSTRAP, a file path).
        start.Environment["GRPC_XDS_BOOTSTRAP_CONFIG"] = JsonSerializer.Serialize(new
        {
            xds_servers = new[] { new { server_uri = $"127.0.0.1:{dpPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = XdsV3 } },
            node = new { id = $"{mesh}.{name}", locality = new { zone = "default" }, metadata = new Dictionary<string, string> { ["dataplane.token"] = token } },
        });
        // What C-core's xDS client says about each resource it rejects, for the failure message.
        start.Environment["GRPC_VERBOSITY"] = "ERROR";
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
            catch (JsonException)
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

    /// <summary>A caller named <c>mesh.name</c> calling <paramref name="target"/> every <paramref name="intervalMs"/> ms.</summary>
    public static StrictClientProcess Start(int dpPort, string mesh, string name, string token, string target, int intervalMs = 20, int deadlineMs = 2000,
        string? header = null, IEnumerable<string>? values = null) =>
        new(dpPort, mesh, name, token, [target, $"{intervalMs}", $"{deadlineMs}", .. header is null ? Array.Empty<string>() : [header, string.Join(',', values!)]]);

    public string ErrorOutput
    {
        get
        {
            lock (_errors) return string.Join('\n', _errors);
        }
    }

    /// <summary>Reads answers until <paramref name="predicate"/> holds for one, returning every answer read on the way.</summary>
    public async Task<List<JsonNode>> ReadUntilAsync(Func<JsonNode, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new List<JsonNode>();
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                seen.Add(line);
                if (predicate(line)) return seen;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException(
                $"condition not met within {timeout}; last answers: {string.Join(' ', seen.TakeLast(5).Select(l => l.ToJsonString()))}; stderr: {ErrorOutput}", e);
        }
    }

    /// <summary>Reads answers until <paramref name="count"/> in a row satisfy <paramref name="condition"/>; returns those.</summary>
    public async Task<List<JsonNode>> ConsecutiveAsync(int count, Func<JsonNode, bool> condition, TimeSpan timeout)
    {
        var run = new List<JsonNode>();
        await ReadUntilAsync(line =>
        {
            if (condition(line)) run.Add(line);
            else run.Clear();
            return run.Count >= count;
        }, timeout);
        return run;
    }

    public ValueTask DisposeAsync() => ProcessStop.CloseInputAndStopAsync(_process, TimeSpan.FromSeconds(5));
}
