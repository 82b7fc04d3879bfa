using System.Globalization;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Proxyless;

namespace Kuma.Tests.Examples;

/// <summary>
/// The README's "Secure a mesh" section is examples/secure-mesh/run.sh; this runs the script against a control plane
/// of its own, with the helper built beside the tests, and checks what it prints: the allowed call answered, the
/// other caller refused by RBAC, calls answered on the new CA's leaves and after the old CA is gone, the revoked
/// token refused. The script must also leave no process behind.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecureMeshExampleTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    [Fact]
    public async Task The_secure_mesh_script_shows_the_allowed_call_the_refused_one_a_CA_rotation_and_a_revoked_token()
    {
        var cp = fixture.ControlPlane;
        var run = await ScriptRun.RunAsync(Path.Combine(NodeProcess.RepositoryRoot(), "examples", "secure-mesh", "run.sh"), new Dictionary<string, string>
        {
            ["CP"] = $"http://127.0.0.1:{cp.ApiPort}",
            ["DP"] = $"127.0.0.1:{cp.DpPort}",
            ["PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["HELPER"] = $"dotnet {HelperProcess.DllPath()}",
        }, TimeSpan.FromMinutes(5));

        var report = $"exit {run.ExitCode}\nstdout:\n{run.Output}\nstderr:\n{run.Errors}";
        Assert.True(run.ExitCode == 0 && run.Errors.Length == 0, report);
        var lines = run.Lines;
        Assert.True(lines.Length == 5, report);
        Assert.Equal("backend-1", Result(lines[0], "web calls backend:   ")["server"]!.GetValue<string>());
        var refused = Result(lines[1], "other calls backend: ");
        Assert.Equal((7, "Unauthorized RPC rejected"), (refused["error"]!.GetValue<int>(), refused["detail"]!.GetValue<string>()));
        Assert.Equal("backend-1", Result(lines[2], "web calls backend, leaves of ca-2:  ")["server"]!.GetValue<string>());
        Assert.Equal("backend-1", Result(lines[3], "web calls backend, ca-1 removed:    ")["server"]!.GetValue<string>());
        var revoked = Result(lines[4], "web's token revoked: 401 ");
        Assert.Equal(("Unauthorized", "token is revoked"), (revoked["title"]!.GetValue<string>(), revoked["detail"]!.GetValue<string>()));

        // What the script left in the control plane: the mesh on ca-2 alone, web's token listed as revoked.
        using var api = cp.NewClient(await cp.IssueTokenAsync("secure-demo"));
        var mesh = JsonNode.Parse(await api.GetStringAsync("/meshes/secure"))!;
        Assert.Equal("ca-2", mesh["mtls"]!["enabledBackend"]!.GetValue<string>());
        Assert.Equal(["ca-2"], mesh["mtls"]!["backends"]!.AsArray().Select(b => b!["name"]!.GetValue<string>()));
    }

    /// <summary>The JSON after the line's expected label.</summary>
    private static JsonNode Result(string line, string label)
    {
        Assert.StartsWith(label, line, StringComparison.Ordinal);
        return JsonNode.Parse(line[label.Length..]) ?? throw new InvalidOperationException($"no JSON in '{line}'");
    }
}
