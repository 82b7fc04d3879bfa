using System.Globalization;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Examples;

/// <summary>
/// examples/proxyless-grpc/run.sh, as the README runs it, against a control plane of its own: the client's calls through
/// <c>xds:///backend</c> are answered by both servers, and nothing the script started (servers, the sleeps holding their
/// stdin) outlives it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProxylessExampleTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    [Fact]
    public async Task The_proxyless_script_calls_both_servers_and_leaves_nothing_running()
    {
        var cp = fixture.ControlPlane;
        var ports = string.Join(' ', FreePort.Next().ToString(CultureInfo.InvariantCulture), FreePort.Next().ToString(CultureInfo.InvariantCulture));
        var run = await ScriptRun.RunAsync(Path.Combine(NodeProcess.RepositoryRoot(), "examples", "proxyless-grpc", "run.sh"), new Dictionary<string, string>
        {
            ["CP"] = $"http://127.0.0.1:{cp.ApiPort}",
            ["DP"] = $"127.0.0.1:{cp.DpPort}",
            ["PORTS"] = ports,
        }, TimeSpan.FromMinutes(2));

        var report = $"exit {run.ExitCode}\nstdout:\n{run.Output}\nstderr:\n{run.Errors}";
        Assert.True(run.ExitCode == 0, report);
        // The servers say where they listen (in any order with the script's own line); the client's ten answers follow.
        Assert.Contains("calling xds:///backend (answers alternate between the two servers):", run.Lines);
        var answers = run.Lines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).Where(l => l["t"] is not null).ToList();
        Assert.True(answers.Count == 10, report);
        var servers = answers.Select(a => a["server"]?.GetValue<string>()).OfType<string>().ToHashSet();
        Assert.True(servers.SetEquals(["backend-1", "backend-2"]), report);
    }
}
