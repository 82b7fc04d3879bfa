using System.Collections.Immutable;
using Kuma.Ca;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Store;
using Kuma.Tokens;
using Kuma.Vips;
using Microsoft.Extensions.Logging;

namespace Kuma.Grains;

/// <summary>
/// Single writer for one mesh. It keeps the mesh's snapshot, rebuilt from the store on activation and
/// replaced (never mutated) on every committed write, so readers always see one consistent generation.
/// Secrets stay in the grain: the published snapshot, which travels to gateways, carries none but the
/// list of revoked dataplane tokens.
/// </summary>
internal sealed partial class MeshGrain(IResourceStore store, IMeshDefaults defaults, TimeProvider clock, CertificateClock certificates, ILogger<MeshGrain> logger)
    : Grain, IMeshGrain
{
    private string _tenant = "";
    private string _mesh = "";
    /// <summary>Everything of the mesh, secrets included.</summary>
    private MeshSnapshot? _state;
    /// <summary>What leaves the grain: <see cref="_state"/> without secrets.</summary>
    private MeshSnapshot? _published;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set while a write's outcome is unknown: the snapshot may not be the store's truth until reconciled.</summary>
    private IGrainTimer? _reconcile;
    /// <summary>Which dataplanes hold leaves of which backend, and so which services are TLS ready (PERMISSIVE only).</summary>
    private readonly TlsReadinessTracker _readiness = new();
    /// <summary>Names this activation in the readiness it publishes, so a successor tells a predecessor's from its own.</summary>
    private readonly Guid _epoch = Guid.NewGuid();
    /// <summary>Whether <see cref="_published"/> left the grain (it may only change under a new generation then).</summary>
    private bool _served;
    private bool _adopted;
    /// <summary>Set while a change of readiness waits to be published under a new generation.</summary>
    private IGrainTimer? _readinessPublish;

    /// <summary>Assigning replaces the snapshot and wakes every waiter.</summary>
    private MeshSnapshot? _snapshot
    {
        get => _state;
        set
        {
            _state = value;
            _published = value is null ? null : Published(value);
            _served = false;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private MeshSnapshot Published(MeshSnapshot state) => TokenRevocations.WithoutSecretsButRevocations(state) with
    {
        TlsReadiness = _readiness.Update(state) is { } ready ? new TlsReadiness(_epoch, ready) : null,
    };

    private Generation Scope => new(_tenant, _mesh);
    private ITenantGrain Tenant => GrainFactory.GetGrain<ITenantGrain>(GrainKeys.Tenant(_tenant));
    private ResourceKey MeshKey => ResourceKey.Global(_tenant, ResourceTypes.Mesh.Name, _mesh);

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh) = GrainKeys.ParseMesh(this.GetPrimaryKeyString());
        await Reload(ct);
        await SyncVips(); // a VIP write lost after its dataplane's commit is made up here
    }

    private async Task Reload(CancellationToken ct = default)
    {
        var mesh = await store.GetAsync(MeshKey, ct);
        if (mesh is null)
        {
            _snapshot = null;
            return;
        }
        var contents = await store.ListMeshAsync(_tenant, _mesh, ct);
        var generation = await store.GetGenerationAsync(Scope, ct);
        var byType = contents
            .GroupBy(r => r.Key.Type)
            .ToImmutableSortedDictionary(
                g => g.Key,
                g => g.ToImmutableSortedDictionary(r => r.Key.Name, r => r, StringComparer.Ordinal),
                StringComparer.Ordinal);
        _snapshot = new MeshSnapshot(_tenant, _mesh, generation, mesh, byType);
    }

    public Task<MeshSnapshot?> GetSnapshot() => Task.FromResult(Serve());

    private MeshSnapshot? Serve()
    {
        _served = true;
        return _published;
    }

    /// <summary>
    /// Every write starts from the store's truth. One whose outcome the store did not confirm (a timeout,
    /// a lost connection) may still commit later, so the grain reconciles before it accepts anything
    /// else, and keeps trying in the background meanwhile so readers and proxies converge on their own.
    /// </summary>
    private async Task<WriteResult> Writing(Func<Task<WriteResult>> write)
    {
        if (_reconcile is not null)
        {
            try
            {
                await Reconcile();
            }
            catch (StoreUnavailableException e)
            {
                // This write was not attempted, so its outcome is known: nothing happened.
                throw new StoreUnavailableException(e.Message, outcomeUnknown: false);
            }
        }
        try
        {
            return await write();
        }
        catch (StoreUnavailableException e) when (e.OutcomeUnknown)
        {
            LogOutcomeUnknown(logger, _tenant, _mesh);
            _reconcile ??= this.RegisterGrainTimer(ReconcileInBackground, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
            throw;
        }
    }

    private async Task ReconcileInBackground(CancellationToken ct)
    {
        try
        {
            await Reconcile(ct);
        }
        catch (StoreUnavailableException)
        {
            // still down: the next tick tries again, and the store's own log tells operators
        }
    }

    /// <summary>
    /// Raising the mesh's generation first waits for any write still held at the store (it holds that row
    /// until it commits) and outdates it; what is read after that is final.
    /// </summary>
    private async Task Reconcile(CancellationToken ct = default)
    {
        await store.FenceAsync(Scope, ct);
        await Reload(ct);
        _reconcile?.Dispose();
        _reconcile = null;
        LogReconciled(logger, _tenant, _mesh, _snapshot?.Generation ?? -1);
    }

    public async Task<MeshSnapshot?> WaitForChange(long knownGeneration, TimeSpan maxWait, TlsReadiness? held = null)
    {
        // A mesh that does not exist is at generation -1, so waiting on its absence waits too.
        if ((_published?.Generation ?? -1) != knownGeneration) return Serve();
        if (held is not null) Adopt(held);
        var changed = _changed.Task;
        await Task.WhenAny(changed, Task.Delay(maxWait, clock));
        return Serve();
    }

    /// <summary>
    /// A gateway holds the readiness a predecessor of this activation published at the generation the mesh is still
    /// at: the dataplanes and the enabled backend are the same, so what was ready is ready. Taken once, so a
    /// restarted silo does not turn encrypted services back to plaintext until every dataplane is issued a leaf again.
    /// </summary>
    private void Adopt(TlsReadiness held)
    {
        if (_adopted || held.Epoch == _epoch || _published?.TlsReadiness is null) return;
        _adopted = true;
        if (_readiness.Adopt(held.Ready)) ReadinessChanged();
    }

    public Task LeafIssued(string meshUid, string dataplane, string backend)
    {
        if (_state is { } state && state.MeshResource.Uid == meshUid && _readiness.Record(dataplane, backend)) ReadinessChanged();
        return Task.CompletedTask;
    }

    /// <summary>
    /// A service's readiness flipped. What no one has seen yet is corrected in place; otherwise the change waits a
    /// moment for others of the same burst and goes out under a new generation (one fence of the store, no data).
    /// </summary>
    private void ReadinessChanged()
    {
        if (_published is not { TlsReadiness: not null } published) return;
        if (!_served)
        {
            _published = published with { TlsReadiness = new TlsReadiness(_epoch, _readiness.Ready) };
            return;
        }
        _readinessPublish ??= this.RegisterGrainTimer(PublishReadiness, new GrainTimerCreationOptions(ReadinessCoalescing, TimeSpan.FromSeconds(1)));
    }

    private static readonly TimeSpan ReadinessCoalescing = TimeSpan.FromMilliseconds(100);

    private async Task PublishReadiness(CancellationToken ct)
    {
        // Published meanwhile with a write, or left to the reconciliation, which publishes what it reads.
        if (_state is null || _reconcile is not null || _published?.TlsReadiness is not { } published || published.Ready.SetEquals(_readiness.Ready))
        {
            StopReadinessPublish();
            return;
        }
        try
        {
            var generation = await store.FenceAsync(Scope, ct);
            StopReadinessPublish();
            if (generation is not null && _state is not null)
            {
                _snapshot = _state with { Generation = generation.Value };
                LogReadinessPublished(logger, _tenant, _mesh, generation.Value, _readiness.Ready.Count);
            }
        }
        catch (StoreUnavailableException)
        {
            // the timer tries again; the store's own log tells operators
        }
    }

    private void StopReadinessPublish()
    {
        _readinessPublish?.Dispose();
        _readinessPublish = null;
    }

    public Task<WriteResult> PutMesh(ResourceWrite write) => Writing(() => PutMeshCore(write));

    private async Task<WriteResult> PutMeshCore(ResourceWrite write)
    {
        var spec = ResourceTypes.Mesh.Parse(write.SpecJson);
        var previous = _snapshot is null ? null : ResourceTypes.Mesh.Parse(_snapshot.MeshResource.SpecJson);
        var caErrors = MeshCaValidation.Validate(_mesh, spec, previous, SecretData, certificates.Now);
        if (!caErrors.IsEmpty) return new WriteResult(WriteStatus.Invalid, Message: "Resource is not valid", Errors: caErrors);
        if (_snapshot is null)
        {
            return await CreateMesh(write, spec);
        }
        var result = await Update(write, _snapshot.MeshResource, committed => _snapshot = _snapshot with
        {
            Generation = committed.Generation,
            MeshResource = committed.Resources[0],
        });
        // As in Kuma, the CAs of backends added by an update are created after the Mesh is written.
        if (result.Status == WriteStatus.Updated) await CreateMissingCas(spec);
        return result;
    }

    private async Task<WriteResult> CreateMesh(ResourceWrite write, MeshSpec spec)
    {
        if (write.ExpectedVersion is not null) return new WriteResult(WriteStatus.Conflict, Message: "mesh does not exist");
        // The mesh and the CAs of its builtin backends are one write: no proxy ever sees a mesh without its CA.
        var writes = new List<ResourceWrite> { write };
        writes.AddRange(MissingCaWrites(spec));
        foreach (var (type, name, specJson) in defaults.For(_mesh, spec.SkipCreatingInitialPolicies))
        {
            writes.Add(new ResourceWrite { Key = new ResourceKey(_tenant, type, _mesh, name), SpecJson = specJson });
        }
        // Only the Mesh row counts here: default policies come with the mesh even past the policies quota
        // (they do count against it afterwards).
        var quota = await Tenant.GetQuota(ResourceTypes.Mesh.Name);
        try
        {
            await store.CreateAsync(writes, Scope, quota);
        }
        catch (ResourceConflictException)
        {
            await Reload();
            return new WriteResult(WriteStatus.Conflict, Message: "mesh was created meanwhile");
        }
        catch (QuotaExceededException e)
        {
            return new WriteResult(WriteStatus.QuotaExceeded, Message: e.Message);
        }
        await Reload();
        LogMeshCreated(logger, _tenant, _mesh, writes.Count - 1);
        return new WriteResult(WriteStatus.Created, _snapshot!.MeshResource);
    }

    public Task EnsureCertificateAuthorities() => Writing(async () =>
    {
        if (_snapshot is not null) await CreateMissingCas(ResourceTypes.Mesh.Parse(_snapshot.MeshResource.SpecJson));
        return new WriteResult(WriteStatus.Updated);
    });

    private async Task CreateMissingCas(MeshSpec spec)
    {
        var writes = MissingCaWrites(spec);
        if (writes.Count == 0) return;
        try
        {
            var committed = await store.CreateAsync(writes, Scope);
            foreach (var resource in committed.Resources) Apply(resource, committed.Generation);
        }
        catch (ResourceConflictException)
        {
            await Reload(); // written meanwhile (by the tenant, or another silo): what is there stays
        }
    }

    /// <summary>The two secrets of a new CA for each builtin backend that has neither; a CA is never replaced.</summary>
    private List<ResourceWrite> MissingCaWrites(MeshSpec spec)
    {
        var writes = new List<ResourceWrite>();
        foreach (var backend in spec.Mtls?.Backends ?? [])
        {
            if (backend is not { Type: MtlsFacts.BuiltinType, Name: { } name }) continue;
            var (certName, keyName) = (MtlsFacts.BuiltinCertSecretName(_mesh, name), MtlsFacts.BuiltinKeySecretName(_mesh, name));
            if (Secret(certName) is not null || Secret(keyName) is not null) continue;
            // With skipValidation a conf may be unreadable; Kuma then fails the write, here the backend just gets no CA.
            if (BuiltinCaConf.Read(backend.Conf, []) is not { } conf || (conf.RsaBits is { } bits && !BuiltinCaConf.AllowedRsaBits.Contains(bits)))
            {
                LogCaSkipped(logger, _tenant, _mesh, name);
                continue;
            }
            var (certPem, keyPem) = BuiltinCa.Create(_mesh, conf, certificates.Now);
            writes.Add(new ResourceWrite { Key = new ResourceKey(_tenant, ResourceTypes.Secret.Name, _mesh, certName), SpecJson = SecretBytes.SpecJson(certPem) });
            writes.Add(new ResourceWrite { Key = new ResourceKey(_tenant, ResourceTypes.Secret.Name, _mesh, keyName), SpecJson = SecretBytes.SpecJson(keyPem) });
            LogCaCreated(logger, _tenant, _mesh, name);
        }
        return writes;
    }

    private StoredResource? Secret(string name) => _snapshot?.ByType.GetValueOrDefault(ResourceTypes.Secret.Name)?.GetValueOrDefault(name);

    private byte[]? SecretData(string name) => Secret(name) is { } secret ? SecretBytes.Of(secret) : null;

    public Task<WriteResult> DeleteMesh(long? expectedVersion) => Writing(() => DeleteMeshCore(expectedVersion));

    private async Task<WriteResult> DeleteMeshCore(long? expectedVersion)
    {
        if (_snapshot is null) return WriteResult.NotFound;
        if (_snapshot.OfType(ResourceTypes.Dataplane.Name).Any())
            return WriteResult.Invalid("mesh", "unable to delete mesh, there are still some dataplanes attached");
        try
        {
            var generation = await store.DeleteMeshAsync(_tenant, _mesh, expectedVersion);
            if (generation is null) return WriteResult.NotFound;
        }
        catch (ResourceConflictException e)
        {
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
        _snapshot = null;
        DeactivateOnIdle();
        return new WriteResult(WriteStatus.Deleted);
    }

    public Task<WriteResult> Put(ResourceWrite write) => Writing(() => AfterDataplaneWrite(write.Key.Type, PutCore(write)));

    private async Task<WriteResult> PutCore(ResourceWrite write)
    {
        if (_snapshot is null) return MeshNotFound();
        var type = write.Key.Type;
        var existing = _snapshot.ByType.GetValueOrDefault(type)?.GetValueOrDefault(write.Key.Name);
        if (existing is not null)
        {
            return await Update(write, existing, committed => Apply(committed.Resources[0], committed.Generation));
        }
        if (write.ExpectedVersion is not null) return new WriteResult(WriteStatus.Conflict, Message: "resource does not exist");
        var quota = await Tenant.GetQuota(type);
        try
        {
            var committed = await store.CreateAsync([write], Scope, quota);
            Apply(committed.Resources[0], committed.Generation);
            return new WriteResult(WriteStatus.Created, committed.Resources[0]);
        }
        catch (QuotaExceededException e)
        {
            return new WriteResult(WriteStatus.QuotaExceeded, Message: e.Message);
        }
        catch (ResourceConflictException e)
        {
            await Reload();
            return _snapshot is null ? MeshNotFound() : new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    private async Task<WriteResult> Update(ResourceWrite write, StoredResource current, Action<StoreCommit> apply)
    {
        var expected = write.ExpectedVersion ?? current.Version;
        if (expected != current.Version)
            return new WriteResult(WriteStatus.Conflict, Message: $"version {expected} is stale: the resource is at version {current.Version}");
        try
        {
            var committed = await store.UpdateAsync(write, expected, Scope);
            apply(committed);
            return new WriteResult(WriteStatus.Updated, committed.Resources[0]);
        }
        catch (ResourceConflictException e)
        {
            // Another writer got to the row first (e.g. a second silo during a membership change): re-read the truth.
            await Reload();
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    public Task<WriteResult> Delete(string type, string name, long? expectedVersion) => Writing(() => AfterDataplaneWrite(type, DeleteCore(type, name, expectedVersion)));

    private async Task<WriteResult> DeleteCore(string type, string name, long? expectedVersion)
    {
        if (_snapshot is null) return WriteResult.NotFound;
        var key = new ResourceKey(_tenant, type, _mesh, name);
        try
        {
            var generation = await store.DeleteAsync(key, expectedVersion, Scope);
            if (generation is null) return WriteResult.NotFound;
            var byName = _snapshot.ByType.GetValueOrDefault(type);
            var remaining = byName?.Remove(name) ?? ImmutableSortedDictionary<string, StoredResource>.Empty;
            _snapshot = _snapshot with
            {
                Generation = generation.Value,
                ByType = remaining.IsEmpty ? _snapshot.ByType.Remove(type) : _snapshot.ByType.SetItem(type, remaining),
            };
            return new WriteResult(WriteStatus.Deleted);
        }
        catch (ResourceConflictException e)
        {
            await Reload();
            return new WriteResult(WriteStatus.Conflict, Message: e.Message);
        }
    }

    public Task Forget()
    {
        _snapshot = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private void Apply(StoredResource resource, long generation)
    {
        var snapshot = _snapshot!;
        var byName = snapshot.ByType.GetValueOrDefault(resource.Key.Type)
            ?? ImmutableSortedDictionary.Create<string, StoredResource>(StringComparer.Ordinal);
        _snapshot = snapshot with
        {
            Generation = generation,
            ByType = snapshot.ByType.SetItem(resource.Key.Type, byName.SetItem(resource.Key.Name, resource)),
        };
    }

    private WriteResult MeshNotFound() => new(WriteStatus.NotFound, Message: $"mesh of name {_mesh} is not found");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh {Tenant}/{Mesh}: the store did not confirm a write; reconciling with the store before the next one")]
    private static partial void LogOutcomeUnknown(ILogger logger, string tenant, string mesh);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mesh {Tenant}/{Mesh}: TLS readiness changed, published at generation {Generation} ({Ready} services ready)")]
    private static partial void LogReadinessPublished(ILogger logger, string tenant, string mesh, long generation, int ready);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh {Tenant}/{Mesh} reconciled with the store at generation {Generation}")]
    private static partial void LogReconciled(ILogger logger, string tenant, string mesh, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh {Tenant}/{Mesh}: created the CA of builtin backend {Backend}")]
    private static partial void LogCaCreated(ILogger logger, string tenant, string mesh, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh {Tenant}/{Mesh}: builtin backend {Backend} has a conf no CA can be made from (written with skipValidation); it gets none")]
    private static partial void LogCaSkipped(ILogger logger, string tenant, string mesh, string backend);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created mesh {Tenant}/{Mesh} with {Defaults} default resources")]
    private static partial void LogMeshCreated(ILogger logger, string tenant, string mesh, int defaults);
}
