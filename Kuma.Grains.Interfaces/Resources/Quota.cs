using System.Collections.Immutable;

namespace Kuma.Resources;

/// <summary>
/// A tenant's cap on how many rows of some types it may hold (the policies quota spans every policy type).
/// The store checks it in the same transaction as the create, so writers in parallel meshes cannot overshoot it.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.Quota")]
public sealed record Quota(
    [property: Id(0)] int Limit,
    [property: Id(1)] ImmutableArray<string> Types,
    [property: Id(2)] string Noun)
{
    public bool Counts(string type) => Types.Contains(type);

    public string Refusal(string tenant) => $"tenant {tenant} has reached its quota of {Limit} {Noun}";
}
