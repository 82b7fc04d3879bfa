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
/// Signs dataplane certificates with the enabled backend of one tenant's mesh. The CA is read from the store the
/// first time and again only when a caller serves a newer generation (or another incarnation) of the mesh.
/// </summary>
[StatelessWorker]
internal sealed partial class MeshCaGrain(IResourceStore store, CertificateClock clock, ILogger<MeshCaGrain> logger) : Grain, IMeshCaGrain
{
    private string _tenant = "";
    private string _mesh = "";
    private LoadedCa? _loaded;

    /// <summary>The CA as of one mesh generation: no backend when mTLS is off; a backend with no pair when it is unusable.</summary>
    private sealed record LoadedCa(string MeshUid, long Generation, string? Backend, CaKeyPair? Pair, TimeSpan Lifetime, string? Error);

    public override Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh) = GrainKeys.ParseMesh(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        _loaded?.Pair?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<IssuedIdentity> Issue(IdentityRequest request)
    {
        if (LeafIssuer.CheckPublicKey(request.PublicKey) is { } keyError) return new IssuedIdentity(true, Error: keyError);
        if (_loaded is null || _loaded.MeshUid != request.MeshUid || _loaded.Generation < request.MeshGeneration) await Load();
        var loaded = _loaded!;
        // The caller's mesh is gone (or is another incarnation): nothing of this one is its to have.
        if (loaded.MeshUid != request.MeshUid) return IssuedIdentity.MtlsOff;
        if (loaded.Backend is null) return IssuedIdentity.MtlsOff;
        if (loaded.Pair is not { } pair) return new IssuedIdentity(true, loaded.Backend, Error: loaded.Error);
        var (der, notBefore, notAfter) = LeafIssuer.Issue(pair, request.PublicKey, _mesh, request.Tags, loaded.Lifetime, clock.Now);
        return new IssuedIdentity(true, loaded.Backend, PemEncoding.WriteString("CERTIFICATE", der), pair.CertPem, notBefore, notAfter);
    }

    private async Task Load()
    {
        // The generation is read first: what is read after it is at least that new.
        var generation = await store.GetGenerationAsync(new Generation(_tenant, _mesh));
        var meshResource = await store.GetAsync(ResourceKey.Global(_tenant, ResourceTypes.Mesh.Name, _mesh));
        var loaded = meshResource is null
            ? new LoadedCa("", generation, null, null, TimeSpan.Zero, null)
            : await LoadBackend(meshResource, generation);
        _loaded?.Pair?.Dispose();
        _loaded = loaded;
        if (loaded.Error is not null) LogUnusableCa(logger, _tenant, _mesh, loaded.Backend ?? "", loaded.Error);
    }

    private async Task<LoadedCa> LoadBackend(StoredResource meshResource, long generation)
    {
        var spec = ResourceTypes.Mesh.Parse(meshResource.SpecJson);
        if (MtlsFacts.EnabledBackend(spec) is not { Name: { } name } backend) return new LoadedCa(meshResource.Uid, generation, null, null, TimeSpan.Zero, null);
        var lifetime = MtlsFacts.DpCertLifetime(backend);
        LoadedCa Failed(string error) => new(meshResource.Uid, generation, name, null, lifetime, error);

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
            return pair is null ? Failed($"not a valid TLS key pair: {error}") : new LoadedCa(meshResource.Uid, generation, name, pair, lifetime, null);
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
                : new LoadedCa(meshResource.Uid, generation, name, pair, lifetime, null);
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
