using Kuma.LoadTest;
using Xunit.Abstractions;

namespace Kuma.Tests.Load;

/// <summary>
/// Every load scenario at its quick size, exactly as the load tool runs it (control plane and baseline
/// server in processes of their own), with Kuma's default policies in every mesh, and big mesh also with
/// several policies of every type per service. Correctness only: every proxy converged, nothing NACKed, no
/// stream failed, no change leaked into another mesh. Timings are reported, never asserted.
/// </summary>
[Collection(nameof(LoadScenarioSmokeTests))]
[CollectionDefinition(nameof(LoadScenarioSmokeTests), DisableParallelization = true)]
public sealed class LoadScenarioSmokeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("fleet", "default")]
    [InlineData("bigmesh", "default")]
    [InlineData("bigmesh", "heavy")]
    [InlineData("noisy", "default")]
    [InlineData("storm", "default")]
    [InlineData("api", "default")]
    public async Task Quick_size_runs_clean(string scenario, string policies)
    {
        var summary = await LoadRunner.RunAsync(LoadRunner.Create(scenario, full: false, policies: ScenarioPolicies.Parse(policies)), runs: 1);

        foreach (var (figure, spread) in summary.Figures) output.WriteLine($"{figure}: {spread.Median}");
        Assert.Empty(summary.Failures);
        Assert.True(summary.Figures.ContainsKey("streamErrors") || scenario == "api", "a scenario with proxies reports their health");
        if (scenario == "api") Assert.True(summary.Figures["getPerSecond"].Median > 0 && summary.Figures["putPerSecond"].Median > 0);
    }
}
