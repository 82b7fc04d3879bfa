namespace Kuma.LoadTest.Scenarios;

/// <summary>What one run of a scenario measured, and what it found wrong (any finding fails the run).</summary>
public sealed class RunResult
{
    public SortedDictionary<string, double> Figures { get; } = new(StringComparer.Ordinal);
    public List<string> Failures { get; } = [];

    public void Add(string figure, double value) => Figures[figure] = Math.Round(value, 2);

    public void Require(bool holds, string failure)
    {
        if (!holds) Failures.Add(failure);
    }

    /// <summary>The figures every scenario with proxies reports, and the rule that none of them failed.</summary>
    public void AddStreamHealth(MeshFleet fleet, string prefix = "")
    {
        Add($"{prefix}streamErrors", fleet.Errors);
        Add($"{prefix}nacks", fleet.Nacks);
        Require(fleet.Errors == 0, $"{prefix}{fleet.Errors} streams failed");
        Require(fleet.Nacks == 0, $"{prefix}{fleet.Nacks} responses were NACKed");
    }
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of an unsorted sample.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>One scenario at one size; each run starts its own control plane.</summary>
public interface IScenario
{
    string Name { get; }
    Task<RunResult> RunAsync();
}
