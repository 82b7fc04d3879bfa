using System.Diagnostics;

namespace Kuma.Testing;

/// <summary>A .NET program of this build run as a process of its own (control plane, baseline server), its errors echoed with a prefix.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private int _disposed;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <param name="onOutput">Sees every line the program writes to standard output.</param>
    /// <param name="onError">Sees every line the program writes to standard error (they are echoed with the prefix as well).</param>
    public static ChildProcess Start(string dll, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>> environment, string prefix,
        Action<string>? onOutput = null, Action<string>? onError = null)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) onOutput?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            onError?.Invoke(e.Data);
            Console.Error.WriteLine($"[{prefix}] {e.Data}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>KILL</c>, <c>STOP</c>), as an orchestrator or an operator would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -s {name} {_process.Id} failed with {kill.ExitCode}");
    }

    /// <summary>Resident memory of the process, from /proc.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    /// <summary>Completes when the process ends (its exit code), to race against readiness.</summary>
    public async Task<int> ExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
