namespace Kuma.Tests.Faults;

/// <summary>
/// The fault tier: clusters of real processes killed, cut off and starved of their store. They run one at a time and
/// never beside other tests (their bounds are wall-clock figures), and carry <c>Category=Faults</c> so a developer can
/// leave them out: <c>dotnet test --filter "Category!=Faults"</c>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "faults";
    public const string Category = "Category";
    public const string Faults = "Faults";

    /// <summary>The bound of every fault in issue 13: proxies hold the latest acknowledged config this soon after it.</summary>
    public static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(5);
}
