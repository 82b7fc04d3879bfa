using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>How a self-registering stream holds its dataplane: renewed for <see cref="Lease"/> while it lives, deleted <see cref="CleanupDelay"/> after it ends.</summary>
[GenerateSerializer, Immutable, Alias("kuma.SelfRegisteredHold")]
public sealed record SelfRegisteredHold(
    [property: Id(0)] TimeSpan CleanupDelay,
    [property: Id(1)] TimeSpan Lease);

/// <summary>A self-registered dataplane and the stream (session) that holds it.</summary>
[GenerateSerializer, Immutable, Alias("kuma.LeaseHolder")]
public sealed record LeaseHolder(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string Mesh,
    [property: Id(2)] string Name,
    [property: Id(3)] Guid Session);

/// <summary>Renews, in one store write, the holds of every self-registering stream a gateway serves.</summary>
[Alias("kuma.ISelfRegisteredLeaseGrain")]
public interface ISelfRegisteredLeaseGrain : IGrainWithIntegerKey
{
    /// <summary>Each holder still holding its dataplane keeps it for <paramref name="holdFor"/> from now; a holder that lost it changes nothing.</summary>
    [Alias("Renew")] Task Renew(ImmutableArray<LeaseHolder> holders, TimeSpan holdFor);
}
