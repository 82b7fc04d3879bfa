using System.Diagnostics;
using System.Globalization;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// A bash script of the repository run to its end as a user would run it, with its output in files rather than pipes:
/// a background process the script leaves behind then cannot hold the test up. The script leads a process group of its
/// own, which a timeout kills as a whole; a process of the group outliving the script fails the run (and is killed).
/// </summary>
internal sealed record ScriptRun(int ExitCode, string Output, string Errors)
{
    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(10);

    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static async Task<ScriptRun> RunAsync(string script, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var outputs = Directory.CreateTempSubdirectory("script-run-").FullName;
        var (stdout, stderr) = (Path.Combine(outputs, "stdout"), Path.Combine(outputs, "stderr"));
        try
        {
            // setsid and exec keep one pid from here to the script: the pid names the script's group.
            var start = new ProcessStartInfo("setsid", ["bash", "-c", "exec bash \"$0\" < /dev/null > \"$1\" 2> \"$2\"", script, stdout, stderr]);
            foreach (var (key, value) in environment) start.Environment[key] = value;
            using var process = Process.Start(start)!;
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                KillGroup(process.Id);
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Assert.Fail($"{script} did not end within {timeout}\nstdout:\n{Read(stdout)}\nstderr:\n{Read(stderr)}");
            }
            var run = new ScriptRun(process.ExitCode, Read(stdout), Read(stderr));
            try
            {
                await Eventually.HoldsAsync(() => Task.FromResult(!GroupAlive(process.Id)), LeftoverGrace,
                    $"every process {script} started ends with it\nstdout:\n{run.Output}\nstderr:\n{run.Errors}");
            }
            finally
            {
                KillGroup(process.Id);
            }
            return run;
        }
        finally
        {
            Directory.Delete(outputs, recursive: true);
        }
    }

    private static string Read(string file) => File.Exists(file) ? File.ReadAllText(file) : "";

    private static bool GroupAlive(int group) => Kill("-0", group) == 0;

    private static void KillGroup(int group) => Kill("-KILL", group);

    private static int Kill(string signal, int group)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, "--", "-" + group.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
        kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
