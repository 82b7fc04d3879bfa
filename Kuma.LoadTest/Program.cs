using System.Text.Json;
using Kuma.LoadTest;

// dotnet run -c Release --project Kuma.LoadTest -- fleet [quick|full] [results.json]
var scenario = args.ElementAtOrDefault(0) ?? "fleet";
var size = args.ElementAtOrDefault(1) ?? "quick";
var output = args.ElementAtOrDefault(2) ?? $"bench/{scenario}-{size}.json";
if (scenario != "fleet")
{
    Console.Error.WriteLine($"unknown scenario '{scenario}'; available: fleet");
    return 2;
}
var silo = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Kuma.Silo", "bin", "Release", "net10.0", "Kuma.Silo.dll");
if (!File.Exists(silo))
{
    Console.Error.WriteLine($"build the control plane first: dotnet build -c Release Kuma.Silo (looked for {Path.GetFullPath(silo)})");
    return 2;
}
await using var cp = await ControlPlaneProcess.StartAsync(Path.GetFullPath(silo));
using var fleet = new FleetScenario(cp, size == "full" ? FleetSize.Full : FleetSize.Quick);
var results = await fleet.RunAsync();
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
foreach (var (key, value) in results) Console.WriteLine($"{key,-30} {value}");
var failed = (long)results["streamErrors"] > 0 || (long)results["endpointPushesToOtherMeshes"] > 0;
return failed ? 1 : 0;
