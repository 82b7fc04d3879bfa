using Kuma.Grains;

namespace Kuma.Store;

/// <summary>A self-registered dataplane, the stream (session) holding it, and when it may be deleted unless that deadline moves.</summary>
public sealed record SelfRegisteredLease(string Tenant, string Mesh, string Name, Guid Session, DateTimeOffset DeleteAfter)
{
    public LeaseHolder Holder => new(Tenant, Mesh, Name, Session);
}

/// <summary>
/// One row per self-registered dataplane, so its cleanup outlives any process: a live stream keeps pushing
/// the deadline into the future, its end sets it to "now + cleanup delay", and a sweep on every silo deletes
/// what is due. Every change after the first names the session it expects, so a gateway whose stream was
/// replaced cannot move the newer stream's deadline.
/// </summary>
public interface ISelfRegisteredLeaseStore
{
    /// <summary>The lease's session now holds the dataplane, replacing any other holder.</summary>
    Task HoldAsync(SelfRegisteredLease lease, CancellationToken ct = default);

    /// <summary>Moves the deadline of each dataplane still held by the given session; others are left alone.</summary>
    Task ExtendAsync(IReadOnlyCollection<LeaseHolder> holders, DateTimeOffset deleteAfter, CancellationToken ct = default);

    Task<SelfRegisteredLease?> GetAsync(string tenant, string mesh, string name, CancellationToken ct = default);

    /// <summary>Leases whose deadline is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<SelfRegisteredLease>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct = default);

    /// <summary>Removes the row when the holder's session still holds it.</summary>
    Task ForgetAsync(LeaseHolder holder, CancellationToken ct = default);
}
