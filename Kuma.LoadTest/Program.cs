using Kuma.LoadTest;
using Kuma.LoadTest.Baseline;
using Microsoft.Extensions.Hosting;

// dotnet run -c Release --project Kuma.LoadTest -- <fleet|bigmesh|noisy|storm|api|all> [quick|full] [--runs N] [--changes N] [--out file.json]
if (args.FirstOrDefault() == BaselineProcess.Command)
{
    await using var app = await BaselineServer.StartAsync(Recording.Load(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine(BaselineProcess.ReadyLine);
    await app.WaitForShutdownAsync();
    return 0;
}
return await LoadRunner.MainAsync(args);
