using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Silo;

try
{
    var settings = ConfigFile.Load(args);
    if (args is ["migrate", ..])
    {
        await ControlPlaneHost.MigrateAsync(StoreOptions.From(settings));
        Console.WriteLine("schema is up to date");
        return 0;
    }
    await using var app = await ControlPlaneHost.StartAsync(settings, args);
    await app.WaitForShutdownAsync();
    return 0;
}
catch (KumaConfigurationException e)
{
    await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
    return 2;
}
