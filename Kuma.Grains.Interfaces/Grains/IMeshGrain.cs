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
    [property: Id(4)] ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, StoredResource>> ByType,
    [property: Id(5)] TlsReadiness? TlsReadiness = null)
{
    public IEnumerable<StoredResource> OfType(string type) =>
        ByType.TryGetValue(type, out var byName) ? byName.Values : [];
}

/// <summary>
/// Which services of a PERMISSIVE mesh callers encrypt toward (Kuma's TLS readiness): those every dataplane of which
/// holds a certificate of the enabled backend. Null in a snapshot of a mesh that is not PERMISSIVE. <see cref="Epoch"/>
/// names the mesh grain's activation that knew it: the record lives in that activation's memory, and a gateway hands
/// it back to the next one (see <see cref="IMeshGrain.WaitForChange"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.TlsReadiness")]
public sealed record TlsReadiness(
    [property: Id(0)] Guid Epoch,
    [property: Id(1)] ImmutableSortedSet<string> Ready)
{
    public bool Equals(TlsReadiness? other) => other is not null && Epoch == other.Epoch && Ready.SetEquals(other.Ready);

    public override int GetHashCode() => HashCode.Combine(Epoch, Ready.Count);
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
    /// call per mesh it serves. <paramref name="held"/> is the TLS readiness of the snapshot it holds: an activation
    /// that lost its own record (a silo went away) takes it back from there while the mesh is still at that generation.
    /// </summary>
    [AlwaysInterleave, Alias("WaitForChange")] Task<MeshSnapshot?> WaitForChange(long knownGeneration, TimeSpan maxWait, TlsReadiness? held = null);

    /// <summary>Creates the CA of every builtin backend of the Mesh that has none yet (its two secrets); existing ones stay.</summary>
    [Alias("EnsureCertificateAuthorities")] Task EnsureCertificateAuthorities();

    /// <summary>
    /// <paramref name="dataplane"/> of the mesh incarnation <paramref name="meshUid"/> holds a leaf certificate signed
    /// by <paramref name="backend"/>: said by the CA when it signs one in a PERMISSIVE mesh, and by a gateway for the
    /// leaf its stream holds when the snapshot names an activation (epoch) it has not told yet.
    /// </summary>
    [OneWay, Alias("LeafIssued")] Task LeafIssued(string meshUid, string dataplane, string backend);

    /// <summary>The tenant was deleted: drop everything held in memory.</summary>
    [Alias("Forget")] Task Forget();
}
