using Kuma.Kumactl;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Kumactl;

public sealed record KumactlResult(int ExitCode, string Out, string Err);

/// <summary>kumactl run in-process with its own config file, captured output and a clock the test sets.</summary>
public sealed class KumactlSession : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kumactl-").FullName;

    public string ConfigFile => Path.Combine(_directory, "config");
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Answers kumactl's requests instead of a control plane, when set.</summary>
    public Func<HttpMessageHandler>? Handler { get; init; }

    public async Task<KumactlResult> RunAsync(params string[] args) => await RunWithInputAsync("", args);

    public async Task<KumactlResult> RunWithInputAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var env = new KumactlEnvironment { Out = output, Err = error, In = new StringReader(stdin), Clock = Clock, DefaultConfigFile = ConfigFile, HttpHandler = Handler };
        var code = await global::Kuma.Kumactl.Kumactl.RunAsync(args, env);
        return new KumactlResult(code, output.ToString(), error.ToString());
    }

    /// <summary>A file in this session's directory, for <c>apply -f</c>.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A session pointed at <paramref name="cp"/>; with a token it acts in that token's tenant, without one as the local admin.</summary>
    public static async Task<KumactlSession> ConnectAsync(ControlPlane cp, string? token = null)
    {
        var session = new KumactlSession();
        string[] auth = token is null ? [] : ["--auth-type=tokens", "--auth-conf", $"token={token}"];
        var added = await session.RunAsync(["config", "control-planes", "add", "--name", "test", "--address", $"http://127.0.0.1:{cp.ApiPort}", .. auth]);
        Assert.True(added.ExitCode == 0, added.Err);
        return session;
    }

    /// <summary>A new tenant of <paramref name="cp"/> and a session holding a token of its admin group.</summary>
    public static async Task<KumactlSession> ForNewTenantAsync(ControlPlane cp, string tenant) =>
        await ConnectAsync(cp, await cp.CreateTenantAsync(tenant));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
