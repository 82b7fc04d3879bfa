using System.Runtime.InteropServices;
using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Silo;

// SIGTERM or Ctrl-C while start-up still waits (for PostgreSQL, for seeding) ends the wait and exits 0;
// once the host runs, its own console lifetime stops it gracefully as well.
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
    var settings = ConfigFile.Load(args);
    if (args is ["migrate", ..])
    {
        await ControlPlaneHost.MigrateAsync(StoreOptions.From(settings), stopping.Token);
        Console.WriteLine("schema is up to date");
        return 0;
    }
    await using var app = await ControlPlaneHost.StartAsync(settings, args, ct: stopping.Token);
    await app.WaitForShutdownAsync();
    return 0;
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
