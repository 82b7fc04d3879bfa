using System.Collections.Immutable;

namespace Kuma.Resources;

/// <summary>
/// A resource as the store holds it: canonical spec JSON plus metadata. Immutable, so one instance
/// can sit in a mesh snapshot and be handed to any number of readers.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.StoredResource")]
public sealed record StoredResource
{
    [Id(0)] public required ResourceKey Key { get; init; }
    /// <summary>Canonical JSON of the spec (compact, nulls omitted).</summary>
    [Id(1)] public required string SpecJson { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>Per-resource version for optimistic concurrency; starts at 1.</summary>
    [Id(3)] public long Version { get; init; }
    [Id(4)] public DateTimeOffset CreationTime { get; init; }
    [Id(5)] public DateTimeOffset ModificationTime { get; init; }
}

/// <summary>What a caller asks to be written; the store stamps versions and times.</summary>
[GenerateSerializer, Immutable, Alias("kuma.ResourceWrite")]
public sealed record ResourceWrite
{
    [Id(0)] public required ResourceKey Key { get; init; }
    [Id(1)] public required string SpecJson { get; init; }
    [Id(2)] public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>When set, the write only succeeds if the stored version equals this one.</summary>
    [Id(3)] public long? ExpectedVersion { get; init; }
}
