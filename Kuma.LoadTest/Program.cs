using Kuma.LoadTest;
using Kuma.LoadTest.Baseline;
using Microsoft.Extensions.Hosting;

// dotnet run -c Release --project Kuma.LoadTest -- <fleet|bigmesh|noisy|storm|api|all> [quick|full] [--runs N] [--changes N] [--policies none|default|heavy] [--silos N --gateways M] [--out file.json]
// Ten thousand proxies in one process, twice as many sockets during a reconnect storm; the control
// plane and the baseline started from here inherit the limit.
Console.Error.WriteLine($"open files limit: {Kuma.Gateway.Hosting.OpenFileLimit.Raise(atLeast: 65536)}");
if (args.FirstOrDefault() == BaselineProcess.Command)
{
    await using var app = await BaselineServer.StartAsync(Recording.Load(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine(BaselineProcess.ReadyLine);
    await app.WaitForShutdownAsync();
    return 0;
}
return await LoadRunner.MainAsync(args);
