using Kuma.Gateway.Hosting;

return await HostMain.RunAsync(async stopping =>
{
    await using var app = await GatewayHost.StartAsync(ConfigFile.Load(args), args, stopping);
    await app.WaitForShutdownAsync(CancellationToken.None); // the host's own lifetime handles the signals from here
    return 0;
});
