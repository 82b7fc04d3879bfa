using System.Diagnostics;
using System.Globalization;

namespace Kuma.LoadTest.Baseline;

/// <summary>
/// The baseline server in a process of its own, like the control plane, so both are measured the same
/// way: this tool's own build, started with <c>baseline-server &lt;recording&gt; &lt;port&gt;</c>.
/// </summary>
public sealed class BaselineProcess : IAsyncDisposable
{
    public const string Command = "baseline-server";
    public const string ReadyLine = "baseline ready";

    private readonly Process _process;
    private readonly HttpClient _control;

    private BaselineProcess(Process process, int port)
    {
        _process = process;
        DpAddress = $"http://127.0.0.1:{port}";
        _control = new HttpClient(new SocketsHttpHandler()) { BaseAddress = new Uri(DpAddress), DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    public string DpAddress { get; }

    public static async Task<BaselineProcess> StartAsync(string recordingPath)
    {
        var port = FreePort.Next();
        var tool = typeof(BaselineProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [tool, Command, recordingPath, port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == ReadyLine) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Console.Error.WriteLine($"[baseline] {e.Data}");
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"baseline server exited with {process.ExitCode}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return new BaselineProcess(process, port);
    }

    /// <summary>Sends every open stream its responses of <paramref name="phase"/>; returns once they are queued.</summary>
    public async Task PushAsync(int phase) =>
        (await _control.PostAsync($"/push/{phase}", null)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
