using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Silo;

return await HostMain.RunAsync(async stopping =>
{
    var settings = ConfigFile.Load(args);
    if (args is ["migrate", ..])
    {
        await ControlPlaneHost.MigrateAsync(StoreOptions.From(settings), stopping);
        Console.WriteLine("schema is up to date");
        return 0;
    }
    await using var app = await ControlPlaneHost.StartAsync(settings, args, ct: stopping);
    await app.WaitForShutdownAsync(CancellationToken.None); // the host's own lifetime handles the signals from here
    return 0;
});
