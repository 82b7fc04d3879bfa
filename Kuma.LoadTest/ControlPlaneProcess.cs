using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kuma.LoadTest;

/// <summary>
/// The control plane under test, in a process of its own so that its memory and CPU are its own:
/// the Kuma.Silo build next to this tool, on free loopback ports, plaintext DP server, memory store.
/// </summary>
public sealed class ControlPlaneProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ControlPlaneProcess(Process process, int apiPort, int dpPort)
    {
        _process = process;
        ApiPort = apiPort;
        DpPort = dpPort;
    }

    public int ApiPort { get; }
    public int DpPort { get; }
    public int Pid => _process.Id;

    public static async Task<ControlPlaneProcess> StartAsync(string siloDll)
    {
        var (api, dp) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet", [siloDll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KUMA_API_SERVER_HTTP_PORT"] = api.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KUMA_DP_SERVER_PORT"] = dp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1";
        start.Environment["KUMA_DP_SERVER_TLS_ENABLED"] = "false";
        start.Environment["KUMA_CLUSTER_SILO_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KUMA_CLUSTER_GATEWAY_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KUMA_TENANT_API_REQUESTS_PER_SECOND"] = "100000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Console.Error.WriteLine($"[cp] {e.Data}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var cp = new ControlPlaneProcess(process, api, dp);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}") };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"control plane exited with {process.ExitCode}");
            try
            {
                if ((await http.GetAsync("/")).IsSuccessStatusCode) return cp;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("control plane did not answer within 60 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Resident memory of the control plane process, from /proc.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
