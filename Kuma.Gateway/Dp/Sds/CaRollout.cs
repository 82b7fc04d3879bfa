using System.Collections.Immutable;
using Kuma.Grains;

namespace Kuma.Gateway.Dp.Sds;

/// <summary>
/// Which backend signs the certificates of one mesh's proxies streaming to this node while the mesh's CA changes.
/// Every listed backend's CA is in the bundle at once, but a leaf of the newly enabled backend is only good once its
/// peers trust that CA. So the backend that signed until now keeps signing (it is still listed, so still trusted) until
/// every stream here that subscribes to the bundle has acknowledged one holding the new CA, or until the grace period
/// since this node first saw the new backend listed has passed (a proxy that never answers cannot hold the change
/// forever; it then meets leaves it may reject until it catches up). Proxies on other nodes are covered only by that
/// grace period, so it should be longer than a push to every node takes.
/// </summary>
internal sealed class CaRollout(CertificateClock clock, TimeSpan grace)
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(10);
    private readonly Lock _lock = new();
    /// <summary>Streams that subscribe to the bundle, and the backends of the last bundle each acknowledged.</summary>
    private readonly Dictionary<object, ImmutableArray<string>> _trustOf = new(ReferenceEqualityComparer.Instance);
    /// <summary>When this node first saw each listed backend listed.</summary>
    private readonly Dictionary<string, DateTimeOffset> _listedSince = new(StringComparer.Ordinal);
    private string? _meshUid;
    private string? _issuing;
    /// <summary>The enabled backend waited for, while the previous one still signs.</summary>
    private string? _waitingFor;
    /// <summary>The grace timer armed last (a number, so an older one that fires is ignored), and for which backend.</summary>
    private long _graceTimer;
    private string? _graceFor;
    private TaskCompletionSource _switched = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Streams of the mesh on this node holding this rollout (<see cref="CaRollouts"/> counts them).</summary>
    internal int Holders { get; set; }

    /// <summary>Completes when the signing backend changes; streams then ask for certificates again.</summary>
    public Task Switched
    {
        get
        {
            lock (_lock) return _switched.Task;
        }
    }

    /// <summary>The backend to sign with, given the mesh incarnation, its enabled backend and the backends it lists.</summary>
    public string Signing(string meshUid, string enabled, IReadOnlyCollection<string> listed)
    {
        lock (_lock)
        {
            if (_meshUid != meshUid)
            {
                _meshUid = meshUid;
                _issuing = null;
                _listedSince.Clear();
            }
            var now = clock.Now;
            foreach (var name in _listedSince.Keys.Where(n => !listed.Contains(n)).ToList()) _listedSince.Remove(name);
            foreach (var name in listed) _listedSince.TryAdd(name, now);

            // Nothing signed here yet, nothing changes, or the previous backend is gone (and with it its trust).
            if (_issuing is null || _issuing == enabled || !listed.Contains(_issuing) || TrustedEverywhere(enabled, now))
            {
                SwitchTo(enabled);
                return enabled;
            }
            _waitingFor = enabled;
            ArmGrace(_listedSince[enabled] + grace - now);
            return _issuing;
        }
    }

    /// <summary>A stream subscribes to the bundle: it counts from now on.</summary>
    public void Join(object stream)
    {
        lock (_lock) _trustOf.TryAdd(stream, []);
    }

    /// <summary>A stream acknowledged a bundle holding the CAs of <paramref name="backends"/>.</summary>
    public void Acknowledged(object stream, ImmutableArray<string> backends)
    {
        lock (_lock)
        {
            _trustOf[stream] = backends;
            ReleaseIfTrusted();
        }
    }

    public void Leave(object stream)
    {
        lock (_lock)
        {
            if (_trustOf.Remove(stream)) ReleaseIfTrusted();
        }
    }

    private void ReleaseIfTrusted()
    {
        if (_waitingFor is { } waiting && TrustedEverywhere(waiting, clock.Now)) SwitchTo(waiting);
    }

    private bool TrustedEverywhere(string backend, DateTimeOffset now) =>
        (_listedSince.TryGetValue(backend, out var since) && now >= since + grace) || _trustOf.Values.All(trusted => trusted.Contains(backend));

    private void SwitchTo(string backend)
    {
        _waitingFor = null;
        _graceFor = null;
        _graceTimer++;
        if (_issuing == backend) return;
        var before = _issuing;
        _issuing = backend;
        if (before is null) return;
        _switched.TrySetResult();
        _switched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Wakes the rollout when the grace period of the backend waited for ends.</summary>
    private void ArmGrace(TimeSpan delay)
    {
        if (_graceFor is not null && _graceFor == _waitingFor) return;
        _graceFor = _waitingFor;
        var timer = ++_graceTimer;
        _ = Task.Delay(delay > MinimumWait ? delay : MinimumWait, clock.Time).ContinueWith(_ =>
        {
            lock (_lock)
            {
                if (timer != _graceTimer) return;
                _graceFor = null;
                ReleaseIfTrusted();
                // A timer may fire a little before the clock agrees: wait out the rest.
                if (_waitingFor is { } waiting && _listedSince.TryGetValue(waiting, out var since)) ArmGrace(since + grace - clock.Now);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
