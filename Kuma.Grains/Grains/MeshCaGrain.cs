using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Ca;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Store;
using Kuma.Validation;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>
/// Signs dataplane certificates with a backend of one tenant's mesh (the enabled one unless the caller names another
/// listed one) and hands out the bundle of every listed backend's CA. The CAs are read from the store the first time
/// and again only when a caller serves a newer generation (or another incarnation) of the mesh.
/// </summary>
[StatelessWorker]
internal sealed partial class MeshCaGrain(IResourceStore store, CertificateClock clock, ILogger<MeshCaGrain> logger) : Grain, IMeshCaGrain
{
    private string _tenant = "";
    private string _mesh = "";
    private LoadedCa? _loaded;

    /// <summary>One backend's CA: no pair when it is unusable.</summary>
    private sealed record BackendCa(CaKeyPair? Pair, TimeSpan Lifetime, string? Error);

    /// <summary>
    /// The CAs as of one mesh generation: no enabled backend when mTLS is off. The bundle holds the certificates of
    /// the usable backends in the mesh's order. <see cref="Permissive"/>: the enabled backend's mode is PERMISSIVE.
    /// </summary>
    private sealed record LoadedCa(string MeshUid, long Generation, string? Enabled, IReadOnlyDictionary<string, BackendCa> Backends,
        string Bundle, ImmutableArray<string> BundleBackends, bool Permissive = false)
    {
        public void Dispose()
        {
            foreach (var backend in Backends.Values) backend.Pair?.Dispose();
        }
    }

    public override Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh) = GrainKeys.ParseMesh(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        _loaded?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<IssuedIdentity> Issue(IdentityRequest request)
    {
        if (LeafIssuer.CheckPublicKey(request.PublicKey) is { } keyError) return new IssuedIdentity(true, Error: keyError);
        if (_loaded is null || _loaded.MeshUid != request.MeshUid || _loaded.Generation < request.MeshGeneration) await Load();
        var loaded = _loaded!;
        // The caller's mesh is gone (or is another incarnation): nothing of this one is its to have.
        if (loaded.MeshUid != request.MeshUid) return IssuedIdentity.MtlsOff;
        if (loaded.Enabled is not { } enabled) return IssuedIdentity.MtlsOff;
        // A backend the mesh no longer lists signs nothing: its CA is leaving the bundles.
        var name = request.Backend is { } asked && loaded.Backends.ContainsKey(asked) ? asked : enabled;
        var backend = loaded.Backends[name];
        if (backend.Pair is not { } pair) return new IssuedIdentity(true, name, Error: backend.Error);
        var (der, notBefore, notAfter) = LeafIssuer.Issue(pair, request.PublicKey, _mesh, request.Tags, backend.Lifetime, clock.Now);
        // Only a PERMISSIVE mesh asks which backend its dataplanes' leaves are of (its services' TLS readiness). The mesh
        // grain keeps it: several of these grains sign for one mesh, and it is the one that publishes the mesh.
        if (loaded.Permissive && request.Dataplane is { } dataplane)
            await GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, _mesh)).LeafIssued(loaded.MeshUid, dataplane, name);
        return new IssuedIdentity(true, name, PemEncoding.WriteString("CERTIFICATE", der), loaded.Bundle, notBefore, notAfter, TrustedBackends: loaded.BundleBackends);
    }

    public Task Holds(string meshUid, string dataplane, string backend) =>
        GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, _mesh)).LeafIssued(meshUid, dataplane, backend);

    private async Task Load()
    {
        // The generation is read first: what is read after it is at least that new.
        var generation = await store.GetGenerationAsync(new Generation(_tenant, _mesh));
        var meshResource = await store.GetAsync(ResourceKey.Global(_tenant, ResourceTypes.Mesh.Name, _mesh));
        var loaded = meshResource is null
            ? new LoadedCa("", generation, null, new Dictionary<string, BackendCa>(), "", [])
            : await LoadBackends(meshResource, generation);
        _loaded?.Dispose();
        _loaded = loaded;
        foreach (var (name, backend) in loaded.Backends)
        {
            if (backend.Error is not null) LogUnusableCa(logger, _tenant, _mesh, name, backend.Error);
        }
    }

    private async Task<LoadedCa> LoadBackends(StoredResource meshResource, long generation)
    {
        var spec = ResourceTypes.Mesh.Parse(meshResource.SpecJson);
        if (MtlsFacts.EnabledBackend(spec) is not { Name: { } enabled } enabledBackend)
            return new LoadedCa(meshResource.Uid, generation, null, new Dictionary<string, BackendCa>(), "", []);
        var backends = new Dictionary<string, BackendCa>(StringComparer.Ordinal);
        var bundle = new System.Text.StringBuilder();
        var bundleBackends = ImmutableArray.CreateBuilder<string>();
        foreach (var backend in spec.Mtls!.Backends!)
        {
            if (backend.Name is not { } name || backends.ContainsKey(name)) continue;
            var ca = await LoadBackend(backend, name);
            backends[name] = ca;
            if (ca.Pair is not { } pair) continue;
            if (bundle.Length > 0 && bundle[^1] != '\n') bundle.Append('\n');
            bundle.Append(pair.CertPem);
            bundleBackends.Add(name);
        }
        return new LoadedCa(meshResource.Uid, generation, enabled, backends, bundle.ToString(), bundleBackends.ToImmutable(), MtlsFacts.IsPermissive(enabledBackend));
    }

    private async Task<BackendCa> LoadBackend(MeshCaBackend backend, string name)
    {
        var lifetime = MtlsFacts.DpCertLifetime(backend);
        BackendCa Failed(string error) => new(null, lifetime, error);

        if (backend.Type == MtlsFacts.BuiltinType)
        {
            var (cert, key) = await BuiltinSecrets(name);
            if (cert is null && key is null)
            {
                // A mesh written before its CA was (or whose CA write failed after the mesh's) gets it now.
                await GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, _mesh)).EnsureCertificateAuthorities();
                (cert, key) = await BuiltinSecrets(name);
            }
            if (cert is null || key is null)
                return Failed($"secrets {MtlsFacts.BuiltinCertSecretName(_mesh, name)} and {MtlsFacts.BuiltinKeySecretName(_mesh, name)} must both exist");
            var pair = CaKeyPair.Parse(cert, key, out var error);
            return pair is null ? Failed($"not a valid TLS key pair: {error}") : new BackendCa(pair, lifetime, null);
        }
        if (backend.Type == MtlsFacts.ProvidedType)
        {
            var conversion = new List<string>();
            var conf = ProvidedCaConf.Read(backend.Conf, conversion);
            var secrets = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            foreach (var secret in new[] { conf?.Cert?.Secret, conf?.Key?.Secret }.OfType<string>().Distinct())
                secrets[secret] = await SecretData(secret);
            var errors = new ValidationErrors();
            var pair = MeshCaValidation.Provided(_mesh, backend, FieldPath.Root, s => secrets.GetValueOrDefault(s), clock.Now, errors);
            return pair is null
                ? Failed(string.Join("; ", errors.ToImmutable().Select(e => e.Field.Length > 0 ? $"{e.Field}: {e.Reason}" : e.Reason)))
                : new BackendCa(pair, lifetime, null);
        }
        return Failed($"backend type {backend.Type} is not supported");
    }

    private async Task<(byte[]? Cert, byte[]? Key)> BuiltinSecrets(string backend) =>
        (await SecretData(MtlsFacts.BuiltinCertSecretName(_mesh, backend)), await SecretData(MtlsFacts.BuiltinKeySecretName(_mesh, backend)));

    private async Task<byte[]?> SecretData(string name) =>
        await store.GetAsync(new ResourceKey(_tenant, ResourceTypes.Secret.Name, _mesh, name)) is { } stored ? SecretBytes.Of(stored) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh {Tenant}/{Mesh}: CA backend {Backend} cannot issue certificates: {Reason}")]
    private static partial void LogUnusableCa(ILogger logger, string tenant, string mesh, string backend, string reason);
}
