using System.Collections.Immutable;

namespace Kuma.Resources;

/// <summary>A page request over one tenant's resources of one type.</summary>
[GenerateSerializer, Immutable, Alias("kuma.ResourceQuery")]
public sealed record ResourceQuery
{
    [Id(0)] public required string Tenant { get; init; }
    [Id(1)] public required string Type { get; init; }
    /// <summary>Null lists across every mesh of the tenant.</summary>
    [Id(2)] public string? Mesh { get; init; }
    /// <summary>Substring the name must contain.</summary>
    [Id(3)] public string? NameContains { get; init; }
    [Id(4)] public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    [Id(5)] public int Size { get; init; } = 100;
    /// <summary>Keyset cursor: list entries strictly after this (mesh, name).</summary>
    [Id(6)] public (string Mesh, string Name)? After { get; init; }
}

[GenerateSerializer, Immutable, Alias("kuma.ResourcePage")]
public sealed record ResourcePage(
    [property: Id(0)] ImmutableArray<StoredResource> Items,
    [property: Id(1)] long Total,
    [property: Id(2)] bool HasMore);
