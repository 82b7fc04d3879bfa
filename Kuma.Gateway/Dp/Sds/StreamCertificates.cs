using System.Collections.Immutable;
using System.Security.Cryptography;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;
using Kuma.Xds.Generation;
using Microsoft.Extensions.Logging;
using CoreDataSource = Envoy.Config.Core.V3.DataSource;

namespace Kuma.Gateway.Dp.Sds;

/// <summary>
/// The SDS secrets of one stream: its proxy's certificate and key (<c>identity_cert:secret:&lt;mesh&gt;</c>) and its mesh's
/// CA bundle (<c>mesh_ca:secret:&lt;mesh&gt;</c>). The key is made here, for this stream only, and only its public half
/// goes to the mesh's CA. A new certificate is issued when the mesh's mTLS settings, the proxy's tags or the backend
/// that signs (<see cref="CaRollout"/>) change, and at four fifths of its lifetime, as Kuma renews them.
/// </summary>
internal sealed partial class StreamCertificates(IMeshCaGrain ca, CaRollout rollout, string mesh, string dataplane, CertificateClock clock, ILogger logger) : IDisposable
{
    private static readonly TimeSpan MinimumRenewal = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumRetry = TimeSpan.FromMinutes(1);

    private StoredResource? _seenMesh;
    private string? _seenMtls;
    private (string Enabled, ImmutableHashSet<string> Listed)? _seenBackends;
    private DataplaneSpec? _seenDataplane;
    private ImmutableSortedDictionary<string, ImmutableArray<string>>? _seenTags;

    /// <summary>What the current secrets were issued for.</summary>
    private (string MeshUid, string Mtls, ImmutableSortedDictionary<string, ImmutableArray<string>> Tags, string Signing)? _issuedFor;
    /// <summary>The version of the CA bundle served now and the backends whose CAs it holds.</summary>
    private (string Version, ImmutableArray<string> Backends)? _bundle;
    private bool _joined;
    /// <summary>The backend that signed the leaf served now, and the mesh grain activation last told of it (PERMISSIVE).</summary>
    private string? _signedBy;
    private Guid? _toldEpoch;
    private string? _acknowledged;
    private DateTimeOffset _renewAt = DateTimeOffset.MaxValue;
    private TimeSpan _retry = TimeSpan.FromSeconds(1);
    private CancellationTokenSource? _timer;
    private TaskCompletionSource _renewalDue = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ImmutableSortedDictionary<string, XdsResource> Secrets { get; private set; } = ImmutableSortedDictionary<string, XdsResource>.Empty;

    /// <summary>The same identity as <see cref="Secrets"/> in PEM, for proxyless workloads that read it from files; null when there is none.</summary>
    public IdentityPem? Current { get; private set; }

    /// <summary>
    /// Completes when the certificate is due for renewal (or a failed issue for another try), or when the mesh's
    /// signing backend changed; then call <see cref="RefreshAsync"/>.
    /// </summary>
    public Task RenewalDue => Task.WhenAny(_renewalDue.Task, rollout.Switched);

    /// <summary>Brings the secrets in line with <paramref name="context"/>; true when they changed.</summary>
    public async Task<bool> RefreshAsync(MeshContext? context)
    {
        var timerFired = _renewalDue.Task.IsCompleted;
        if (timerFired) _renewalDue = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mtls = context is null ? null : MtlsOf(context.Snapshot.MeshResource);
        var tags = context is null ? null : TagsOf(context.Dataplanes.GetValueOrDefault(dataplane));
        if (context is null || mtls is null || tags is null) return Clear();

        var meshUid = context.Snapshot.MeshResource.Uid;
        var (enabled, listed) = _seenBackends!.Value;
        var signing = rollout.Signing(meshUid, enabled, listed);
        var basisUnchanged = _issuedFor is { } issued && issued.MeshUid == meshUid && issued.Mtls == mtls && IdentityTags.Same(issued.Tags, tags)
            && issued.Signing == signing;
        if (basisUnchanged && clock.Now < _renewAt)
        {
            // A timer may fire a little before the wall clock agrees: wait out the rest.
            if (timerFired) Arm(_renewAt - clock.Now);
            await TellHolderAsync(context, meshUid);
            return false;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        IssuedIdentity answer;
        try
        {
            answer = await ca.Issue(new IdentityRequest(meshUid, context.Snapshot.Generation, key.ExportSubjectPublicKeyInfo(), tags, signing, dataplane));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failed(e.Message);
        }
        if (!answer.MtlsEnabled) return Clear();
        if (answer.Error is not null || answer.CertificatePem is null || answer.TrustedCaPem is null) return Failed(answer.Error ?? "no certificate");

        var bundle = Encode(new Secret
        {
            Name = MtlsFacts.MeshCaSecretName(mesh),
            ValidationContext = new CertificateValidationContext { TrustedCa = new CoreDataSource { InlineBytes = ByteString.CopyFromUtf8(answer.TrustedCaPem) } },
        });
        Secrets = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
        [
            Encode(new Secret
            {
                Name = MtlsFacts.IdentityCertSecretName(mesh),
                TlsCertificate = new TlsCertificate
                {
                    CertificateChain = new CoreDataSource { InlineBytes = ByteString.CopyFromUtf8(answer.CertificatePem) },
                    PrivateKey = new CoreDataSource { InlineBytes = ByteString.CopyFromUtf8(key.ExportECPrivateKeyPem()) },
                },
            }),
            bundle,
        ]);
        _issuedFor = (meshUid, mtls, tags, signing);
        // The CA tells the mesh grain of a leaf it signs.
        (_signedBy, _toldEpoch) = (answer.Backend, context.Snapshot.TlsReadiness?.Epoch);
        _bundle = (bundle.Value.Version, answer.TrustedBackends.IsDefault ? [] : answer.TrustedBackends);
        _acknowledged = null;
        _retry = TimeSpan.FromSeconds(1);
        Current = new IdentityPem(answer.CertificatePem, key.ExportPkcs8PrivateKeyPem(), answer.TrustedCaPem, answer.NotAfter);
        // Measured on this node's clock from now, so a silo whose clock differs cannot make renewals early or late.
        var lifetime = answer.NotAfter - answer.NotBefore - MtlsFacts.AllowedClockSkew;
        var renewIn = lifetime * 4 / 5;
        Arm(renewIn < MinimumRenewal ? MinimumRenewal : renewIn);
        LogIssued(logger, mesh, dataplane, answer.Backend ?? "", answer.NotAfter);
        return true;
    }

    /// <summary>
    /// A PERMISSIVE mesh's grain keeps who holds which leaf in memory; one activated anew (a silo went away) hears it
    /// again from every stream that sees its first snapshot, once, instead of waiting for their renewals.
    /// </summary>
    private async Task TellHolderAsync(MeshContext context, string meshUid)
    {
        if (context.Snapshot.TlsReadiness is not { Epoch: var epoch } || epoch == _toldEpoch || _signedBy is not { } backend) return;
        _toldEpoch = epoch;
        try
        {
            await ca.Holds(meshUid, dataplane, backend);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _toldEpoch = null; // told at the next refresh
            LogTellFailed(logger, mesh, dataplane, e.Message);
        }
    }

    private static KeyValuePair<string, XdsResource> Encode(Secret secret) => new(secret.Name, XdsResource.Encode(secret.Name, secret));

    /// <summary>The Mesh's mTLS settings as text when mTLS is on, else null; parsed only when the Mesh resource changed.</summary>
    private string? MtlsOf(StoredResource meshResource)
    {
        if (ReferenceEquals(meshResource, _seenMesh)) return _seenMtls;
        var spec = ResourceTypes.Mesh.Parse(meshResource.SpecJson);
        _seenMesh = meshResource;
        var enabled = MtlsFacts.EnabledBackend(spec);
        _seenMtls = enabled is null ? null : SpecBinder.ToCanonicalJson(spec.Mtls);
        _seenBackends = enabled is null ? null : (enabled.Name!, spec.Mtls!.Backends!.Select(b => b.Name).OfType<string>().ToImmutableHashSet(StringComparer.Ordinal));
        return _seenMtls;
    }

    /// <summary>The version of the CA bundle issued last; what <see cref="Observe"/> takes as acknowledged.</summary>
    public string? BundleVersion => _bundle?.Version;

    /// <summary>
    /// What the proxy holds of the CA bundle: whether it subscribes to it (only then does the rollout wait for it)
    /// and the version of the bundle it last acknowledged.
    /// </summary>
    public void Observe(bool subscribed, string? acknowledgedVersion)
    {
        if (subscribed && !_joined)
        {
            _joined = true;
            rollout.Join(this);
        }
        if (!_joined || _bundle is not { } bundle || acknowledgedVersion != bundle.Version || _acknowledged == bundle.Version) return;
        _acknowledged = bundle.Version;
        rollout.Acknowledged(this, bundle.Backends);
    }

    private ImmutableSortedDictionary<string, ImmutableArray<string>>? TagsOf(DataplaneSpec? spec)
    {
        if (ReferenceEquals(spec, _seenDataplane) && spec is not null) return _seenTags;
        _seenDataplane = spec;
        _seenTags = IdentityTags.Of(spec);
        return _seenTags;
    }

    /// <summary>mTLS is off, or the proxy has no identity: nothing to serve.</summary>
    private bool Clear()
    {
        Disarm();
        _issuedFor = null;
        _bundle = null;
        _signedBy = null;
        _renewAt = DateTimeOffset.MaxValue;
        Current = null;
        if (Secrets.IsEmpty) return false;
        Secrets = ImmutableSortedDictionary<string, XdsResource>.Empty;
        return true;
    }

    /// <summary>The proxy keeps what it has (a certificate still valid for a while) and the CA is asked again later.</summary>
    private bool Failed(string reason)
    {
        LogIssueFailed(logger, mesh, dataplane, reason, _retry.TotalSeconds);
        Arm(_retry);
        _retry = _retry * 2 > MaximumRetry ? MaximumRetry : _retry * 2;
        return false;
    }

    private void Arm(TimeSpan delay)
    {
        Disarm();
        _renewAt = clock.Now + delay;
        var timer = _timer = new CancellationTokenSource();
        var due = _renewalDue;
        // Armed before the secrets are sent, so a clock moved on after the proxy saw them finds the timer waiting.
        _ = Task.Delay(delay, clock.Time, timer.Token).ContinueWith(t =>
        {
            if (!t.IsCanceled) due.TrySetResult();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Disarm()
    {
        _timer?.Cancel();
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>When this node will issue the next certificate (four fifths of the current one's lifetime), on its own clock.</summary>
    public DateTimeOffset RenewAt => _renewAt;

    public void Dispose()
    {
        Disarm();
        rollout.Leave(this);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Issued the certificate of {Mesh}.{Dataplane} by backend {Backend}, valid until {NotAfter}")]
    private static partial void LogIssued(ILogger logger, string mesh, string dataplane, string backend, DateTimeOffset notAfter);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell the mesh grain of {Mesh} which leaf {Dataplane} holds: {Reason}")]
    private static partial void LogTellFailed(ILogger logger, string mesh, string dataplane, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not issue the certificate of {Mesh}.{Dataplane}: {Reason}; trying again in {Seconds} s")]
    private static partial void LogIssueFailed(ILogger logger, string mesh, string dataplane, string reason, double seconds);
}

/// <summary>A dataplane's identity as PEM: leaf certificate, its PKCS#8 private key and the CA bundle peers are checked against.</summary>
internal sealed record IdentityPem(string CertificatePem, string PrivateKeyPem, string TrustedCaPem, DateTimeOffset NotAfter);
