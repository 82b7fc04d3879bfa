using System.Globalization;
using Kuma.Testing;

namespace Kuma.LoadTest.Baseline;

/// <summary>
/// The baseline server in a process of its own, like the control plane, so both are measured the same
/// way: this tool's own build, started with <c>baseline-server &lt;recording&gt; &lt;port&gt;</c>.
/// </summary>
public sealed class BaselineProcess : IAsyncDisposable
{
    public const string Command = "baseline-server";
    public const string ReadyLine = "baseline ready";

    private readonly ChildProcess _process;
    private readonly HttpClient _control;

    private BaselineProcess(ChildProcess process, int port)
    {
        _process = process;
        DpAddress = $"http://127.0.0.1:{port}";
        _control = new HttpClient(new SocketsHttpHandler()) { BaseAddress = new Uri(DpAddress), DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    public string DpAddress { get; }

    public static async Task<BaselineProcess> StartAsync(string recordingPath)
    {
        var port = FreePort.Next();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ChildProcess.Start(typeof(BaselineProcess).Assembly.Location, [Command, recordingPath, port.ToString(CultureInfo.InvariantCulture)], [], "baseline",
            line =>
            {
                if (line == ReadyLine) ready.TrySetResult();
            });
        var exited = process.ExitAsync();
        if (await Task.WhenAny(ready.Task, exited).WaitAsync(TimeSpan.FromMinutes(2)) == exited)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"baseline server exited with {await exited}");
        }
        return new BaselineProcess(process, port);
    }

    /// <summary>Sends every open stream its responses of <paramref name="phase"/>; returns once they are queued.</summary>
    public async Task PushAsync(int phase) =>
        (await _control.PostAsync($"/push/{phase}", null)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _process.DisposeAsync();
    }
}
