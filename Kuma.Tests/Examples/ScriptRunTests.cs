using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Examples;

/// <summary>
/// The runner of example scripts cannot hang a test: a script that does not end is killed with everything it started
/// and the test fails with what it printed; one that leaves a process behind fails too, and the process is ended.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ScriptRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("script-run-test-").FullName;

    private string Script(string body)
    {
        var path = Path.Combine(_root, "script.sh");
        File.WriteAllText(path, body);
        return path;
    }

    private Dictionary<string, string> PidFile => new() { ["PID_FILE"] = Path.Combine(_root, "pid") };

    private int BackgroundPid() => int.Parse(File.ReadAllText(Path.Combine(_root, "pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Alive and not a zombie (an orphan's reaper may take its time).</summary>
    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 1)..].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public Task A_script_that_does_not_end_is_killed_with_its_children_and_its_output_is_shown() =>
        FailsAndEndsItsChildAsync("wait\n", TimeSpan.FromSeconds(3), script => $"{script} did not end within 00:00:03\nstdout:\nstarted\n");

    [Fact]
    public Task A_process_the_script_leaves_behind_fails_the_run_and_is_ended() =>
        FailsAndEndsItsChildAsync("", TimeSpan.FromSeconds(30), script => $"every process {script} started ends with it\nstdout:\nstarted\n");

    /// <summary>A script starting a long sleep in the background, printing a line, then running <paramref name="rest"/>.</summary>
    private async Task FailsAndEndsItsChildAsync(string rest, TimeSpan timeout, Func<string, string> expected)
    {
        var script = Script("sleep 3600 &\necho $! > \"$PID_FILE\"\necho started\n" + rest);
        var failure = await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => ScriptRun.RunAsync(script, PidFile, timeout));
        Assert.Contains(expected(script), failure.Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => Task.FromResult(!Running(BackgroundPid())), TimeSpan.FromSeconds(5), "the script's child ended");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
