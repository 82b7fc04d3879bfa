using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Store;
using Kuma.Tokens;
using Microsoft.Extensions.Logging;

namespace Kuma.Grains;

/// <summary>One tenant: its Tenant resource (quotas, API rate), mesh creation and deletion, and the whole tenant's removal.</summary>
internal sealed partial class TenantGrain(IResourceStore store, ResourceCatalog catalog, ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    private string _tenant = "";
    private StoredResource? _resource;
    private TenantSpec _spec = new();
    private Quota? _meshQuota, _dataplaneQuota, _policyQuota;
    private TenantAccess _access = TenantAccess.Default;
    /// <summary>Ids from the tenant's GlobalSecret <c>user-token-revocations</c>, handed to the edge with the limits.</summary>
    private ImmutableArray<string> _revokedUserTokens = [];

    private ResourceKey Key => ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, _tenant);
    private ResourceKey RevocationsKey => ResourceKey.Global(_tenant, ResourceTypes.GlobalSecret.Name, TokenRevocations.UserTokens);

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        _tenant = GrainKeys.ParseTenant(this.GetPrimaryKeyString());
        SetResource(await store.GetAsync(Key, ct));
        if (_resource is not null) SetRevocations(await store.GetAsync(RevocationsKey, ct));
    }

    private void SetRevocations(StoredResource? secret) =>
        _revokedUserTokens = secret is null ? [] : TokenRevocations.IdsOf(secret.SpecJson);

    private void SetResource(StoredResource? resource)
    {
        _resource = resource;
        _spec = resource is null ? new TenantSpec() : ResourceTypes.Tenant.Parse(resource.SpecJson);
        var quotas = _spec.Quotas;
        _meshQuota = QuotaOf(quotas?.Meshes, [ResourceTypes.Mesh], "meshes");
        _dataplaneQuota = QuotaOf(quotas?.Dataplanes, [ResourceTypes.Dataplane], "dataplanes");
        _policyQuota = QuotaOf(quotas?.Policies, catalog.Policies, "policies");
        _access = TenantAccess.From(_spec.Access);
    }

    private static Quota? QuotaOf(int? limit, IEnumerable<ResourceDescriptor> types, string noun) =>
        limit is { } max ? new Quota(max, [.. types.Select(t => t.Name)], noun) : null;

    public Task<StoredResource?> Get() => Task.FromResult(_resource);

    public Task<TenantLimits?> GetLimits() =>
        Task.FromResult(_resource is null ? null : new TenantLimits(_spec.ApiRateLimit?.RequestsPerSecond, _resource.Uid)
        {
            RevokedUserTokens = _revokedUserTokens,
            Access = _access,
        });

    public async Task<WriteResult> Put(ResourceWrite write)
    {
        try
        {
            if (_resource is null)
            {
                if (write.ExpectedVersion is not null) return new WriteResult(WriteStatus.Conflict, Message: "tenant does not exist");
                var created = await store.CreateAsync([write with { Key = Key }], Generation.None);
                SetResource(created.Resources[0]);
                LogTenantCreated(logger, _tenant);
                return new WriteResult(WriteStatus.Created, _resource);
            }
            var expected = write.ExpectedVersion ?? _resource.Version;
            if (expected != _resource.Version) return new WriteResult(WriteStatus.Conflict, Message: "tenant version is stale");
            var updated = await store.UpdateAsync(write with { Key = Key }, expected, Generation.None);
            SetResource(updated.Resources[0]);
            return new WriteResult(WriteStatus.Updated, _resource);
        }
        catch (ResourceConflictException e)
        {
            SetResource(await store.GetAsync(Key));
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    public async Task EnsureExists()
    {
        if (_resource is not null) return;
        await Put(new ResourceWrite { Key = Key, SpecJson = "{}" });
    }

    public async Task<WriteResult> Delete(long? expectedVersion)
    {
        if (_resource is null) return WriteResult.NotFound;
        var meshes = await ListMeshNames();
        try
        {
            if (!await store.DeleteTenantAsync(_tenant, expectedVersion)) return WriteResult.NotFound;
        }
        catch (ResourceConflictException e)
        {
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
        // The rows are gone; mesh grains still hold snapshots in memory and must drop them.
        await Task.WhenAll(meshes.Select(m => GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, m)).Forget()));
        SetResource(null);
        SetRevocations(null);
        LogTenantDeleted(logger, _tenant, meshes.Count);
        DeactivateOnIdle();
        return new WriteResult(WriteStatus.Deleted);
    }

    private async Task<List<string>> ListMeshNames()
    {
        var names = new List<string>();
        (string, string)? after = null;
        while (true)
        {
            var page = await store.ListAsync(new ResourceQuery { Tenant = _tenant, Type = ResourceTypes.Mesh.Name, Size = 1000, After = after });
            names.AddRange(page.Items.Select(i => i.Key.Name));
            if (!page.HasMore) return names;
            after = (page.Items[^1].Key.Mesh, page.Items[^1].Key.Name);
        }
    }

    public async Task<WriteResult> PutMesh(ResourceWrite write)
    {
        if (_resource is null) return TenantNotFound();
        // The mesh grain asks GetQuota when it creates the mesh; the store enforces the meshes quota.
        return await GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, write.Key.Name)).PutMesh(write);
    }

    public Task<WriteResult> DeleteMesh(string mesh, long? expectedVersion) =>
        _resource is null
            ? Task.FromResult(WriteResult.NotFound)
            : GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, mesh)).DeleteMesh(expectedVersion);

    public async Task<WriteResult> PutGlobal(ResourceWrite write)
    {
        if (_resource is null) return TenantNotFound();
        var scope = new Generation(_tenant, "");
        try
        {
            var current = await store.GetAsync(write.Key);
            if (current is null)
            {
                if (write.ExpectedVersion is not null) return new WriteResult(WriteStatus.Conflict, Message: "resource does not exist");
                return Written(WriteStatus.Created, (await store.CreateAsync([write], scope)).Resources[0]);
            }
            var expected = write.ExpectedVersion ?? current.Version;
            return Written(WriteStatus.Updated, (await store.UpdateAsync(write, expected, scope)).Resources[0]);
        }
        catch (ResourceConflictException e)
        {
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    public async Task<WriteResult> DeleteGlobal(string type, string name, long? expectedVersion)
    {
        if (_resource is null) return WriteResult.NotFound;
        try
        {
            var key = ResourceKey.Global(_tenant, type, name);
            var deleted = await store.DeleteAsync(key, expectedVersion, new Generation(_tenant, ""));
            if (deleted is null) return WriteResult.NotFound;
            if (key == RevocationsKey) SetRevocations(null);
            return new WriteResult(WriteStatus.Deleted);
        }
        catch (ResourceConflictException e)
        {
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    private WriteResult Written(WriteStatus status, StoredResource resource)
    {
        if (resource.Key == RevocationsKey) SetRevocations(resource);
        return new WriteResult(status, resource);
    }

    public Task<Quota?> GetQuota(string type) => Task.FromResult(
        type == ResourceTypes.Mesh.Name ? _meshQuota
        : type == ResourceTypes.Dataplane.Name ? _dataplaneQuota
        : catalog.FindByName(type)?.IsPolicy == true ? _policyQuota
        : null);

    private WriteResult TenantNotFound() => new(WriteStatus.NotFound, Message: $"tenant {_tenant} is not found");

    [LoggerMessage(Level = LogLevel.Information, Message = "Created tenant {Tenant}")]
    private static partial void LogTenantCreated(ILogger logger, string tenant);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted tenant {Tenant} with {Meshes} meshes")]
    private static partial void LogTenantDeleted(ILogger logger, string tenant, int meshes);
}
