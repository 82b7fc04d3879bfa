using System.Runtime.InteropServices;
using Kuma.Configuration;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// The entry both hosts share. SIGTERM or Ctrl-C while start-up still waits (for PostgreSQL, a silo,
/// seeding) ends the wait and exits 0; once the host runs, its own console lifetime stops it gracefully.
/// What start-up cannot get past leaves one line on stderr and an exit code an orchestrator can tell
/// apart: 2 configuration, 3 a store that refuses us (retrying cannot help), 1 a store not reachable.
/// </summary>
public static class HostMain
{
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> run)
    {
        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            return await run(stopping.Token);
        }
        catch (KumaConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }
        catch (StoreRejectedException e)
        {
            await Console.Error.WriteLineAsync($"store error: {e.Message}");
            return 3;
        }
        catch (StoreUnreachableException e)
        {
            await Console.Error.WriteLineAsync($"store error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
    }
}
