using System.Diagnostics;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Proxyless;

/// <summary><c>kuma-proxyless-identity</c> run as its own process, as an operator runs it; its log lines are kept.</summary>
internal sealed class HelperProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = [];

    private HelperProcess(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(DllPath());
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_log) _log.Add(e.Data);
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_log) _log.Add(e.Data);
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public static HelperProcess Start(params string[] args) => new(args);

    /// <summary>Runs it to its end: its exit code and everything it logged.</summary>
    public static async Task<(int ExitCode, string Log)> RunAsync(params string[] args)
    {
        using var helper = Start(args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await helper._process.WaitForExitAsync(timeout.Token);
        return (helper._process.ExitCode, helper.Log);
    }

    public string Log
    {
        get
        {
            lock (_log) return string.Join('\n', _log);
        }
    }

    /// <summary>The helper built beside these tests (same configuration).</summary>
    internal static string DllPath()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        // …/Kuma.Tests/bin/<configuration>/<framework>
        var (framework, configuration) = (tests.Name, tests.Parent!.Name);
        var dll = Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.ProxylessIdentity", "bin", configuration, framework, "kuma-proxyless-identity.dll");
        Assert.True(File.Exists(dll), $"build Kuma.ProxylessIdentity first: {dll} is missing");
        return dll;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
