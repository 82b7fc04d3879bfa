using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>
/// What a stream asks its mesh's CA for: a certificate for <see cref="PublicKey"/> (a DER SubjectPublicKeyInfo; the
/// private key stays on the gateway) naming <see cref="Tags"/>, the dataplane's tags. The mesh incarnation and
/// generation are the ones the stream serves, so the CA reads the store again only when the mesh moved on.
/// <see cref="Backend"/> names the listed backend to sign with while a CA rotation waits for trust to spread
/// (null: the enabled one). <see cref="Dataplane"/> is whose leaf it is, so a PERMISSIVE mesh learns which of its
/// dataplanes hold a certificate of which backend (its services' TLS readiness).
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.IdentityRequest")]
public sealed record IdentityRequest(
    [property: Id(0)] string MeshUid,
    [property: Id(1)] long MeshGeneration,
    [property: Id(2)] byte[] PublicKey,
    [property: Id(3)] ImmutableSortedDictionary<string, ImmutableArray<string>> Tags,
    [property: Id(4)] string? Backend = null,
    [property: Id(5)] string? Dataplane = null);

/// <summary>
/// The answer: mTLS off (nothing to serve), a refusal (<see cref="Error"/>), or a PEM leaf certificate with the PEM
/// bundle of CA certificates peers of the mesh are validated with: the CA of every usable backend the mesh lists
/// (<see cref="TrustedBackends"/>, in the mesh's order), so a backend added before it issues is trusted first.
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.IssuedIdentity")]
public sealed record IssuedIdentity(
    [property: Id(0)] bool MtlsEnabled,
    [property: Id(1)] string? Backend = null,
    [property: Id(2)] string? CertificatePem = null,
    [property: Id(3)] string? TrustedCaPem = null,
    [property: Id(4)] DateTimeOffset NotBefore = default,
    [property: Id(5)] DateTimeOffset NotAfter = default,
    [property: Id(6)] string? Error = null,
    [property: Id(7)] ImmutableArray<string> TrustedBackends = default)
{
    public static readonly IssuedIdentity MtlsOff = new(false);
}

/// <summary>
/// The certificate authority of one tenant's mesh (key: <see cref="GrainKeys.Mesh"/>). It holds the CAs of the mesh's
/// backends, read from the tenant's store, and signs dataplane certificates; the CAs' private keys never leave it.
/// Several may run per silo: signing is the only work and a reconnecting fleet asks all at once.
/// </summary>
[Alias("kuma.IMeshCaGrain")]
public interface IMeshCaGrain : IGrainWithStringKey
{
    [Alias("Issue")] Task<IssuedIdentity> Issue(IdentityRequest request);

    /// <summary>
    /// A stream says again that <paramref name="dataplane"/> holds a leaf of <paramref name="backend"/>: its PERMISSIVE
    /// mesh's snapshot names a mesh grain activation it has not told yet, one that may have lost that record.
    /// </summary>
    [OneWay, Alias("Holds")] Task Holds(string meshUid, string dataplane, string backend);
}
