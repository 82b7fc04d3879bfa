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

    /// <summary>
    /// Which incarnation of this name the resource is: its creation time in microseconds (the store's
    /// resolution). A name deleted and created again gets another, so tokens can be bound to it.
    /// </summary>
    public string Uid => (CreationTime.UtcTicks / 10).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Value equality, labels included, so "unchanged" can be told by comparing resources.</summary>
    public bool Equals(StoredResource? other) =>
        other is not null && Key == other.Key && Version == other.Version && SpecJson == other.SpecJson
        && CreationTime == other.CreationTime && ModificationTime == other.ModificationTime
        && Labels.Count == other.Labels.Count && Labels.All(l => other.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public override int GetHashCode() => HashCode.Combine(Key, Version, SpecJson);
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
