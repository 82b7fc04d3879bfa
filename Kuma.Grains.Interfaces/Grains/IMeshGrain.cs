using System.Collections.Immutable;
using Kuma.Resources;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>
/// Immutable view of one mesh: the Mesh resource and every resource inside it, at one generation.
/// Config for a proxy is a function of this and nothing else.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.MeshSnapshot")]
public sealed record MeshSnapshot(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string Mesh,
    [property: Id(2)] long Generation,
    [property: Id(3)] StoredResource MeshResource,
    [property: Id(4)] ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, StoredResource>> ByType)
{
    public IEnumerable<StoredResource> OfType(string type) =>
        ByType.TryGetValue(type, out var byName) ? byName.Values : [];
}

/// <summary>One mesh of one tenant: the single writer of its resources and the owner of its snapshot.</summary>
[Alias("kuma.IMeshGrain")]
public interface IMeshGrain : IGrainWithStringKey
{
    /// <summary>Creates or updates the Mesh resource itself; creation also writes Kuma's default policies.</summary>
    [Alias("PutMesh")] Task<WriteResult> PutMesh(ResourceWrite write);

    [Alias("DeleteMesh")] Task<WriteResult> DeleteMesh(long? expectedVersion);

    [Alias("Put")] Task<WriteResult> Put(ResourceWrite write);

    [Alias("Delete")] Task<WriteResult> Delete(string type, string name, long? expectedVersion);

    /// <summary>Null when the mesh does not exist. Secrets are not part of it, but for the list of revoked dataplane tokens.</summary>
    // Interleaves: it needs no store, so it must not queue behind a write that waits on one.
    [AlwaysInterleave, Alias("GetSnapshot")] Task<MeshSnapshot?> GetSnapshot();

    /// <summary>
    /// Long poll: answers at once when the mesh is not at <paramref name="knownGeneration"/> (-1: absent),
    /// otherwise when it next changes or after <paramref name="maxWait"/>. A gateway node keeps one such
    /// call per mesh it serves.
    /// </summary>
    [AlwaysInterleave, Alias("WaitForChange")] Task<MeshSnapshot?> WaitForChange(long knownGeneration, TimeSpan maxWait);

    /// <summary>Creates the CA of every builtin backend of the Mesh that has none yet (its two secrets); existing ones stay.</summary>
    [Alias("EnsureCertificateAuthorities")] Task EnsureCertificateAuthorities();

    /// <summary>The tenant was deleted: drop everything held in memory.</summary>
    [Alias("Forget")] Task Forget();
}
