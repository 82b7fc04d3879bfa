using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kuma.LoadTest.Scenarios;
using Kuma.Testing;

namespace Kuma.LoadTest;

/// <summary>Runs scenarios several times, each run against a fresh control plane, and summarises them.</summary>
public static class LoadRunner
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static readonly string[] Names = ["fleet", "bigmesh", "noisy", "storm", "api"];

    /// <param name="changes">Overrides how many changes are timed (e.g. to keep a profiler attached longer).</param>
    /// <param name="policies">The policies every mesh holds; a new mesh has Kuma's defaults.</param>
    public static IScenario Create(string name, bool full, int? changes = null, PolicySet policies = PolicySet.Default) => name switch
    {
        "fleet" => PropagationScenario.Fleet(full, changes, policies),
        "bigmesh" => PropagationScenario.BigMesh(full, changes, policies),
        "noisy" => NoisyNeighbourScenario.Create(full, changes, policies),
        "storm" => ReconnectStormScenario.Create(full, policies),
        "api" => ApiScenario.Create(full, policies),
        _ => throw new ArgumentException($"unknown scenario '{name}'; available: {string.Join(", ", Names)}, all"),
    };

    public static async Task<int> MainAsync(string[] args)
    {
        var scenario = args.ElementAtOrDefault(0) ?? "fleet";
        var size = args.ElementAtOrDefault(1) ?? "quick";
        var runs = Option(args, "--runs") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 1;
        int? changes = Option(args, "--changes") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : null;
        var policies = ScenarioPolicies.Parse(Option(args, "--policies") ?? "default");
        if (Option(args, "--cp-env") is { } env && env.Split('=', 2) is [var key, var value]) ControlPlaneProcess.ExtraEnvironment[key] = value;
        var silos = Option(args, "--silos") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        var gateways = Option(args, "--gateways") is { } g ? int.Parse(g, CultureInfo.InvariantCulture) : 0;
        ControlPlaneUnderTest.Topology = (silos, gateways);
        var clusterFits = (silos, gateways) == (0, 0) || (silos >= 1 && gateways >= 1 && scenario is ("fleet" or "bigmesh"));
        if (size is not ("quick" or "full") || (scenario != "all" && !Names.Contains(scenario)) || runs < 1 || !clusterFits)
        {
            Console.Error.WriteLine($"usage: <{string.Join('|', Names)}|all> [quick|full] [--runs N] [--changes N] [--policies none|default|heavy] [--cp-env KEY=VALUE] [--out file.json]");
            Console.Error.WriteLine("       fleet|bigmesh ... --silos N --gateways M: N silo-only processes and M standalone gateways on one PostgreSQL");
            return 2;
        }
        var failed = false;
        foreach (var name in scenario == "all" ? Names : [scenario])
        {
            // bench/<scenario>-<size>.json holds the policy-free runs measured before meshes had policies.
            var suffix = (policies == PolicySet.None ? "" : $"-{ScenarioPolicies.Label(policies)}") + ControlPlaneUnderTest.Label;
            var output = Option(args, "--out") is { } o && scenario != "all" ? o : $"bench/{name}-{size}{suffix}.json";
            var summary = await RunAsync(Create(name, size == "full", changes, policies), runs);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(summary, Indented));
            Print($"{name}, {ScenarioPolicies.Label(policies)} policies{ControlPlaneUnderTest.Label}", size, summary);
            failed |= summary.Failures.Count > 0;
        }
        return failed ? 1 : 0;
    }

    public static async Task<Summary> RunAsync(IScenario scenario, int runs)
    {
        var results = new List<RunResult>();
        for (var i = 0; i < runs; i++)
        {
            Console.Error.WriteLine($"{scenario.Name}: run {i + 1} of {runs}");
            results.Add(await scenario.RunAsync());
        }
        var figures = results.SelectMany(r => r.Figures.Keys).Distinct().Order(StringComparer.Ordinal).ToDictionary(
            key => key,
            key =>
            {
                var values = results.Where(r => r.Figures.ContainsKey(key)).Select(r => r.Figures[key]).ToList();
                return new Spread(Math.Round(Stats.Percentile(values, 0.5), 2), values.Min(), values.Max());
            });
        return new Summary(scenario.Name, runs, Machine(), DateTimeOffset.UtcNow, figures,
            [.. results.Select(r => r.Figures)], [.. results.SelectMany(r => r.Failures)]);
    }

    private static void Print(string name, string size, Summary summary)
    {
        Console.WriteLine($"{name} ({size}), {summary.Runs} run(s): median [min – max]");
        foreach (var (key, spread) in summary.Figures)
            Console.WriteLine($"  {key,-36} {spread.Median,12:0.##}   [{spread.Min:0.##} – {spread.Max:0.##}]");
        foreach (var failure in summary.Failures) Console.WriteLine($"  FAILED: {failure}");
    }

    private static string Machine() =>
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";

    private static string? Option(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>The median of a figure over the runs (lower median for an even count), and its range.</summary>
public sealed record Spread(double Median, double Min, double Max);

public sealed record Summary(
    string Scenario, int Runs, string Machine, DateTimeOffset When,
    Dictionary<string, Spread> Figures, List<SortedDictionary<string, double>> EachRun, List<string> Failures);
