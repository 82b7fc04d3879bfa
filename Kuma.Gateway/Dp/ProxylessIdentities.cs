using System.Collections.Concurrent;
using Kuma.Gateway.Dp.Hub;
using Kuma.Gateway.Dp.Sds;
using Kuma.Grains;
using Kuma.Xds.Generation;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp;

/// <summary>
/// The identities this node hands to proxyless workloads: per dataplane, the same <see cref="StreamCertificates"/> an
/// ADS stream keeps, so a leaf is issued only when it is due or the mesh's mTLS or the dataplane's tags changed, however
/// often its helper asks. The entries of a mesh follow it through one hub subscription; one nobody asked for in a while
/// is dropped, and a mesh's subscription with its last entry.
/// </summary>
public sealed class ProxylessIdentities(
    IGrainFactory grains, MeshHub<MeshContext> hub, CaRollouts rollouts, CertificateClock clock, TimeProvider time, ILogger<ProxylessIdentities> logger) : IDisposable
{
    /// <summary>A helper polls every few seconds; one silent this long has gone (and its next ask costs one issue).</summary>
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    /// <summary>How long an ask waits for its mesh's first view to reach this node (as a self-registering stream does).</summary>
    internal static readonly TimeSpan FirstViewTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(string Tenant, string Mesh, string Name), Entry> _entries = new();
    private readonly Dictionary<(string Tenant, string Mesh), MeshLink> _meshes = [];
    private readonly Lock _meshLock = new();
    private long _lastSweepTicks;

    /// <summary>A mesh's one hub subscription, shared by its entries here.</summary>
    private sealed class MeshLink(MeshWatch<MeshContext>.Signal signal)
    {
        public readonly MeshWatch<MeshContext>.Signal Signal = signal;
        public int Entries;
    }

    // The gate is never disposed: a request may still be waiting on it when the entry is dropped, and a SemaphoreSlim
    // whose wait handle is never asked for holds nothing to release.
#pragma warning disable CA1001
    private sealed class Entry
#pragma warning restore CA1001
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public MeshLink? Mesh;
        public StreamCertificates? Certificates;
        public CaRollout? Rollout;
        public long LastUsedTicks;
        public bool Removed;
    }

    /// <summary>What a caller whose token was verified gets: its identity, or why not.</summary>
    internal sealed record Outcome(IdentityPem? Identity, DateTimeOffset RenewAt, Problem? Refusal);

    internal sealed record Problem(int Status, string Title, string Detail);

    /// <summary>
    /// The current identity of <paramref name="identity"/>'s dataplane, issuing one when none is current.
    /// <paramref name="callerHolds"/> says whether the caller already holds that identity (its files, the CA bundle
    /// among them): a CA rollout on this node waits for that, as it waits for an Envoy's acknowledgement.
    /// </summary>
    internal async Task<Outcome> GetAsync(DataplaneIdentity identity, Func<IdentityPem, bool> callerHolds, CancellationToken ct)
    {
        Sweep();
        var key = (identity.Tenant, identity.Mesh, identity.Name);
        while (true)
        {
            var entry = _entries.GetOrAdd(key, _ => new Entry());
            await entry.Gate.WaitAsync(ct);
            try
            {
                if (entry.Removed) continue;
                entry.LastUsedTicks = time.GetTimestamp();
                entry.Mesh ??= await AttachAsync(identity.Tenant, identity.Mesh, ct);
                if (entry.Mesh is null)
                    return Refused(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", $"mesh {identity.Mesh} has not reached this node yet; try again shortly");
                entry.Rollout ??= rollouts.Enter(identity.Tenant, identity.Mesh);
                entry.Certificates ??= new StreamCertificates(
                    grains.GetGrain<IMeshCaGrain>(GrainKeys.Mesh(identity.Tenant, identity.Mesh)), entry.Rollout, identity.Mesh, identity.Name, clock, logger);
                return await Answer(entry.Mesh.Signal.Watch.Current, entry.Certificates, identity, callerHolds);
            }
            finally
            {
                entry.Gate.Release();
            }
        }
    }

    /// <summary>The mesh's link, joined or made; null when its first view did not arrive in time.</summary>
    private async Task<MeshLink?> AttachAsync(string tenant, string mesh, CancellationToken ct)
    {
        lock (_meshLock)
        {
            if (_meshes.TryGetValue((tenant, mesh), out var shared))
            {
                shared.Entries++;
                return shared;
            }
        }
        using var deadline = new CancellationTokenSource(FirstViewTimeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        MeshWatch<MeshContext>.Signal signal;
        try
        {
            signal = await hub.SubscribeAsync(tenant, mesh, either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return null;
        }
        lock (_meshLock)
        {
            // Another dataplane of the mesh may have linked it meanwhile: one subscription is enough.
            if (!_meshes.TryGetValue((tenant, mesh), out var link)) _meshes[(tenant, mesh)] = link = new MeshLink(signal);
            else hub.Unsubscribe(tenant, mesh, signal);
            link.Entries++;
            return link;
        }
    }

    private void Detach(string tenant, string mesh, MeshLink link)
    {
        lock (_meshLock)
        {
            if (--link.Entries > 0) return;
            _meshes.Remove((tenant, mesh));
        }
        hub.Unsubscribe(tenant, mesh, link.Signal);
    }

    private static async Task<Outcome> Answer(MeshContext? mesh, StreamCertificates certificates, DataplaneIdentity identity, Func<IdentityPem, bool> callerHolds)
    {
        if (mesh is null || mesh.Snapshot.MeshResource.Uid != identity.MeshUid)
            return Refused(StatusCodes.Status401Unauthorized, "Unauthorized", $"mesh {identity.Mesh} was deleted and created again since this token was issued");
        if (Revoked(mesh, identity)) return Refused(StatusCodes.Status401Unauthorized, "Unauthorized", "token is revoked");
        if (!mesh.Dataplanes.TryGetValue(identity.Name, out var dataplane))
            return Refused(StatusCodes.Status404NotFound, "Not found", $"dataplane {identity.Name} of mesh {identity.Mesh} is not found");
        if (mesh.Mtls is null)
            return Refused(StatusCodes.Status409Conflict, "Conflict", $"mesh {identity.Mesh} has mTLS disabled: there is no identity to issue (set mtls.enabledBackend)");
        if (IdentityTags.Of(dataplane) is null)
            return Refused(StatusCodes.Status409Conflict, "Conflict", $"dataplane {identity.Name} has no inbound with a {IdentityTags.ServiceTag} tag: it has no identity");

        await certificates.RefreshAsync(mesh);
        if (certificates.Current is { } held) certificates.Observe(subscribed: true, callerHolds(held) ? certificates.BundleVersion : null);
        return certificates.Current is { } current
            ? new Outcome(current, certificates.RenewAt, null)
            // The CA could not sign (its log says why); the caller keeps what it has and asks again.
            : Refused(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", $"the CA of mesh {identity.Mesh} cannot issue certificates now; try again shortly");
    }

    private static bool Revoked(MeshContext mesh, DataplaneIdentity identity)
    {
        try
        {
            DataplaneAuthenticator.RefuseIfRevoked(mesh.Snapshot, identity);
            return false;
        }
        catch (Grpc.Core.RpcException)
        {
            return true;
        }
    }

    private static Outcome Refused(int status, string title, string detail) => new(null, default, new Problem(status, title, detail));

    private void Sweep()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (time.GetElapsedTime(last, now) < SweepInterval || Interlocked.CompareExchange(ref _lastSweepTicks, now, last) != last) return;
        foreach (var (key, entry) in _entries)
        {
            if (time.GetElapsedTime(entry.LastUsedTicks, now) < IdleTimeout || !entry.Gate.Wait(0)) continue;
            try
            {
                if (time.GetElapsedTime(entry.LastUsedTicks, now) < IdleTimeout) continue;
                Drop(key, entry);
            }
            finally
            {
                entry.Gate.Release();
            }
        }
    }

    private void Drop((string Tenant, string Mesh, string Name) key, Entry entry)
    {
        entry.Removed = true;
        _entries.TryRemove(new KeyValuePair<(string, string, string), Entry>(key, entry));
        entry.Certificates?.Dispose();
        if (entry.Rollout is { } rollout) rollouts.Exit(key.Tenant, key.Mesh, rollout);
        if (entry.Mesh is { } link) Detach(key.Tenant, key.Mesh, link);
    }

    public void Dispose()
    {
        foreach (var (key, entry) in _entries) Drop(key, entry);
    }
}
