using System.Diagnostics;
using System.Globalization;

namespace Kuma.Tests.Clustering;

/// <summary>
/// A long-running bash script of the repository, in a process group of its own with its output in files (as
/// <see cref="Infrastructure.ScriptRun"/>), that the test stops with a signal once it has checked what it started.
/// Disposing kills whatever of the group is left.
/// </summary>
internal sealed class LocalClusterScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _outputs;

    private LocalClusterScript(Process process, string outputs)
    {
        _process = process;
        _outputs = outputs;
    }

    private string StdoutPath => Path.Combine(_outputs, "stdout");
    private string StderrPath => Path.Combine(_outputs, "stderr");

    public static LocalClusterScript Start(string script, IDictionary<string, string> environment)
    {
        var outputs = Directory.CreateTempSubdirectory("script-run-").FullName;
        // setsid and exec keep one pid from here to the script: the pid names the script's group.
        var start = new ProcessStartInfo("setsid", ["bash", "-c", "exec bash \"$0\" < /dev/null > \"$1\" 2> \"$2\"", script,
            Path.Combine(outputs, "stdout"), Path.Combine(outputs, "stderr")]);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return new LocalClusterScript(Process.Start(start)!, outputs);
    }

    public string[] Lines() => Read(StdoutPath).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string Errors() => Read(StderrPath);

    /// <summary>Waits for the script to print <paramref name="line"/>; fails when it exits first or the time is up.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines().Contains(line))
        {
            if (_process.HasExited) Assert.Fail($"the script exited ({_process.ExitCode}) before '{line}'\n{Report()}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"no '{line}' within {timeout}\n{Report()}");
            await Task.Delay(200);
        }
    }

    /// <summary>SIGTERM to the script alone (its exit trap stops the rest); returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Kill("-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the script did not end within {timeout} of SIGTERM\n{Report()}");
        }
        return _process.ExitCode;
    }

    public bool GroupAlive() => Kill("-0", "-" + _process.Id.ToString(CultureInfo.InvariantCulture)) == 0;

    private string Report() => $"stdout:\n{Read(StdoutPath)}\nstderr:\n{Read(StderrPath)}";

    private static string Read(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int Kill(string signal, string target)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, "--", target]) { RedirectStandardError = true })!;
        kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        return kill.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill("-KILL", "-" + _process.Id.ToString(CultureInfo.InvariantCulture));
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_outputs, recursive: true);
    }
}
