using Kuma.Configuration;
using Kuma.Gateway.Hosting;

try
{
    await using var app = await GatewayHost.StartAsync(ConfigFile.Load(args), args);
    await app.WaitForShutdownAsync();
    return 0;
}
catch (KumaConfigurationException e)
{
    await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
    return 2;
}
