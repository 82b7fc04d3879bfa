using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Store;
using Kuma.Vips;
using Microsoft.Extensions.Logging;

namespace Kuma.Grains;

/// <summary>
/// The mesh's service VIPs (Kuma's <c>kuma-&lt;mesh&gt;-dns-vips</c>): this grain, the mesh's single writer, allocates the
/// missing ones after a committed dataplane write and stores them as their own commit, so they reach the snapshot (and
/// every silo and gateway) like any resource and survive restarts.
/// </summary>
internal sealed partial class MeshGrain
{
    private static readonly VipAllocator Allocator = new();

    /// <summary>
    /// Each dataplane's services as last parsed, by name with the spec they came from: a write then parses one spec,
    /// not every dataplane of the mesh.
    /// </summary>
    private readonly Dictionary<string, (string SpecJson, IReadOnlyList<string> Services)> _servicesByDataplane = new(StringComparer.Ordinal);

    private ImmutableSortedSet<string> MeshServices(MeshSnapshot snapshot)
    {
        var services = VipAllocator.Services(snapshot, resource =>
        {
            if (!_servicesByDataplane.TryGetValue(resource.Key.Name, out var known) || !string.Equals(known.SpecJson, resource.SpecJson, StringComparison.Ordinal))
                _servicesByDataplane[resource.Key.Name] = known = (resource.SpecJson, VipAllocator.ServicesOf(resource.SpecJson));
            return known.Services;
        });
        var dataplanes = snapshot.ByType.GetValueOrDefault(ResourceTypes.Dataplane.Name);
        if (_servicesByDataplane.Count > (dataplanes?.Count ?? 0))
        {
            foreach (var gone in _servicesByDataplane.Keys.Where(name => dataplanes?.ContainsKey(name) != true).ToList()) _servicesByDataplane.Remove(gone);
        }
        return services;
    }

    private async Task<WriteResult> AfterDataplaneWrite(string type, Task<WriteResult> write)
    {
        var result = await write;
        if (type == ResourceTypes.Dataplane.Name && result.Status is WriteStatus.Created or WriteStatus.Updated or WriteStatus.Deleted) await SyncVips();
        return result;
    }

    /// <summary>
    /// Brings the stored table in line with the mesh's services. A failure here fails no write: the dataplane is
    /// committed, and the next dataplane write or activation allocates again.
    /// </summary>
    private async Task SyncVips()
    {
        if (_snapshot is not { } snapshot) return;
        var name = MeshVips.RecordName(_mesh);
        var record = snapshot.ByType.GetValueOrDefault(MeshVips.Type)?.GetValueOrDefault(name);
        var current = MeshVips.Of(record);
        MeshVips wanted;
        try
        {
            wanted = Allocator.Allocate(current, MeshServices(snapshot));
        }
        catch (InvalidOperationException e)
        {
            LogVipsExhausted(logger, _tenant, _mesh, e.Message);
            return;
        }
        if (wanted.Equals(current)) return;
        var write = new ResourceWrite { Key = new ResourceKey(_tenant, MeshVips.Type, _mesh, name), SpecJson = wanted.SpecJson() };
        try
        {
            var committed = record is null ? await store.CreateAsync([write], Scope) : await store.UpdateAsync(write, record.Version, Scope);
            Apply(committed.Resources[0], committed.Generation);
            LogVipsChanged(logger, _tenant, _mesh, committed.Generation, wanted.ByService.Count);
        }
        catch (ResourceConflictException)
        {
            await Reload(); // another activation wrote it meanwhile (a membership change): its table stands
        }
        catch (StoreUnavailableException e)
        {
            LogVipsNotStored(logger, _tenant, _mesh, e.Message);
            // As for any write whose commit went unconfirmed: the grain reconciles before anything else.
            if (e.OutcomeUnknown)
                _reconcile ??= this.RegisterGrainTimer(ReconcileInBackground, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh {Tenant}/{Mesh}: service VIPs stored at generation {Generation} ({Count} services)")]
    private static partial void LogVipsChanged(ILogger logger, string tenant, string mesh, long generation, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mesh {Tenant}/{Mesh}: failed to allocate new VIPs: {Reason}")]
    private static partial void LogVipsExhausted(ILogger logger, string tenant, string mesh, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh {Tenant}/{Mesh}: service VIPs not stored ({Reason}); the next dataplane write or activation tries again")]
    private static partial void LogVipsNotStored(ILogger logger, string tenant, string mesh, string reason);
}
