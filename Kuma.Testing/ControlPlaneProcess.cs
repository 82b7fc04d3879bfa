
namespace Kuma.Testing;

/// <summary>
/// The control plane under test, in a process of its own so that its memory and CPU are its own:
/// the Kuma.Silo build next to the program using this (it references Kuma.Silo), on free loopback ports, plaintext DP server, memory store
/// unless <c>KUMA_STORE_*</c> settings are given.
/// </summary>
public sealed class ControlPlaneProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ControlPlaneProcess(ChildProcess process, int apiPort, int dpPort)
    {
        _process = process;
        ApiPort = apiPort;
        DpPort = dpPort;
    }

    /// <summary>The process itself: for signals and its exit code.</summary>
    public ChildProcess Child => _process;

    public int ApiPort { get; }
    public int DpPort { get; }
    /// <summary>The diagnostics server (<c>/ready</c>, <c>/healthy</c>, <c>/metrics</c>).</summary>
    public int DiagnosticsPort { get; private init; }
    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";
    public string DpAddress => $"http://127.0.0.1:{DpPort}";

    /// <summary>Environment given to every control plane this process starts (the runner's <c>--cp-env KEY=VALUE</c>), e.g. GC settings to compare.</summary>
    public static Dictionary<string, string> ExtraEnvironment { get; } = [];

    /// <summary>The control plane built beside the program using this (that program references Kuma.Silo, so the build sits beside it).</summary>
    public static string SiloDll => Path.Combine(AppContext.BaseDirectory, "Kuma.Silo.dll");

    /// <summary>The standalone gateway, built beside Kuma.Silo (which references it).</summary>
    public static string GatewayDll => Path.Combine(AppContext.BaseDirectory, "Kuma.Gateway.dll");

    public static async Task<ControlPlaneProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var cp = Launch(settings);
        await cp.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return cp;
    }

    /// <summary>Starts the process without waiting for it to answer; <paramref name="onLine"/> sees every line it writes (stdout and stderr).</summary>
    public static ControlPlaneProcess Launch(IReadOnlyDictionary<string, string>? settings = null, Action<string>? onLine = null)
    {
        var (api, dp, diagnostics) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        var environment = new Dictionary<string, string>
        {
            ["KUMA_API_SERVER_HTTP_PORT"] = api.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = dp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = diagnostics.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DP_SERVER_INTERFACE"] = "127.0.0.1",
            ["KUMA_DP_SERVER_TLS_ENABLED"] = "false",
            ["KUMA_CLUSTER_SILO_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_CLUSTER_GATEWAY_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_TENANT_API_REQUESTS_PER_SECOND"] = "100000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in ExtraEnvironment.Concat(settings ?? new Dictionary<string, string>())) environment[key] = value;
        var process = ChildProcess.Start(SiloDll, [], environment, "cp", onLine, onLine);
        var cp = new ControlPlaneProcess(process, api, dp)
        {
            DiagnosticsPort = int.Parse(environment["KUMA_DIAGNOSTICS_SERVER_PORT"], System.Globalization.CultureInfo.InvariantCulture),
            _seedsDefaultMesh = !string.Equals(environment.GetValueOrDefault("KUMA_DEFAULTS_SKIP_MESH_CREATION"), "true", StringComparison.OrdinalIgnoreCase),
        };
        // For attaching dotnet-counters or dotnet-trace while a scenario runs.
        Console.Error.WriteLine($"control plane: pid {process.Id}, API {cp.ApiAddress}, DP {cp.DpAddress}");
        return cp;
    }

    // The API answers before the host has seeded the default mesh; tests that use it must not race the seeding.
    private bool _seedsDefaultMesh;

    /// <summary>
    /// Polls <c>GET /</c> (and, unless the settings skip it, the default mesh) until it answers 2xx; fails when the
    /// process exits first or the deadline passes.
    /// </summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = new Uri(ApiAddress) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"control plane exited with {await _process.ExitAsync()}");
            try
            {
                if ((await http.GetAsync("/")).IsSuccessStatusCode
                    && (!_seedsDefaultMesh || (await http.GetAsync("/meshes/default")).IsSuccessStatusCode)) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"control plane did not answer within {timeout}");
            await Task.Delay(200);
        }
    }

    /// <summary>Resident memory of the control plane process, from /proc.</summary>
    public long ResidentBytes() => _process.ResidentBytes();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
