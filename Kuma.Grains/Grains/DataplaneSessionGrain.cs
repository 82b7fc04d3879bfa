using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Storage;

namespace Kuma.Grains;

/// <summary>
/// Tracks the one live ADS stream of a dataplane. The insight is kept in memory and written behind to the grain
/// storage <see cref="InsightPersistence.Name"/>: at most once per flush interval while reports arrive (writing on every
/// ACK is what made Kuma's store suffer), at once on connect and disconnect, and on deactivation. A failed write is
/// retried at the next interval and fails no call. A new activation (after its silo died) starts from the last
/// written insight and asks the stream's gateway whether the stream is still open; a stream nobody answers for is offline.
/// The cleanup of a self-registered dataplane lives in the store (<see cref="ISelfRegisteredLeaseStore"/>),
/// not here, so it outlives this activation; this grain is where connects and cleanups meet, one at a time.
/// Placed beside the gateway that first calls it: the stream's reports are then local calls.
/// </summary>
[PreferLocalPlacement]
internal sealed partial class DataplaneSessionGrain(
    ISelfRegisteredLeaseStore leases, TimeProvider clock, ILogger<DataplaneSessionGrain> logger) : Grain, IDataplaneSessionGrain
{
    // A gateway that does not answer within this is taken for gone, as is its stream.
    private static readonly TimeSpan StreamCheckTimeout = TimeSpan.FromSeconds(2);
    // A live stream is confirmed with its gateway when its insight is read and the last confirmation is older than
    // this: a gateway that died without a word (and took the stream along) leaves no stream online for long.
    private static readonly TimeSpan StreamRecheckAge = TimeSpan.FromSeconds(30);
    // The storage's grain type: the state's name, as Orleans' own persistent state passes it.
    private const string StateName = "dataplaneInsight";

    private string _tenant = "";
    private string _mesh = "";
    private string _name = "";
    private Guid? _session;
    private IStreamCloser? _closer;
    private string? _gateway;
    private DateTimeOffset? _connectTime;
    private DateTimeOffset? _disconnectTime;
    private SelfRegisteredHold? _hold;
    private ImmutableSortedDictionary<string, XdsTypeStatus> _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
    private bool _everConnected;
    private StreamClient? _client;

    private IGrainStorage? _storage;
    private InsightPersistenceOptions? _persistence;
    private InsightWriteSlots? _writeSlots;
    private readonly GrainState<StoredInsight> _stored = new(new StoredInsight());
    private bool _dirty;
    private Task _writing = Task.CompletedTask;
    private int _failedWrites;
    private DateTimeOffset _streamConfirmed;
    private Task _confirming = Task.CompletedTask;
    // A stream taken for gone because its gateway did not answer; its next report proves it alive and brings it back.
    private Guid? _presumedGone;

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh, _name) = SessionKeys.Parse(this.GetPrimaryKeyString());
        _storage = ServiceProvider.GetKeyedService<IGrainStorage>(InsightPersistence.Name);
        _persistence = ServiceProvider.GetService<InsightPersistenceOptions>();
        _writeSlots = ServiceProvider.GetService<InsightWriteSlots>();
        if (_storage is null || _persistence is null) return;
        await LoadAsync();
        this.RegisterGrainTimer(FlushIfChanged, new GrainTimerCreationOptions(_persistence.FlushInterval, _persistence.FlushInterval) { Interleave = true });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        if (_storage is null || _persistence is null) return;
        try
        {
            await _writing;
            if (_dirty) await WriteAsync().WaitAsync(_persistence.Timeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            LogFinalWriteFailed(logger, _tenant, _mesh, _name, e.GetType().Name);
        }
    }

    public async Task Connect(Guid sessionId, string gatewayInstance, IStreamCloser closer, SelfRegisteredHold? selfRegistered)
    {
        if (selfRegistered is not null)
        {
            // Held before the caller writes the Dataplane: a cleanup already due meets this hold here and stops.
            await leases.HoldAsync(new SelfRegisteredLease(_tenant, _mesh, _name, sessionId, clock.GetUtcNow() + selfRegistered.Lease + selfRegistered.CleanupDelay));
        }
        if (_session is { } previous && previous != sessionId)
        {
            LogReplaced(logger, _tenant, _mesh, _name, previous, sessionId);
            try
            {
                _closer?.Close(previous);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCloseFailed(logger, e, previous); // that gateway is gone; its stream went with it
            }
        }
        _session = sessionId;
        _closer = closer;
        _gateway = gatewayInstance;
        _connectTime = clock.GetUtcNow();
        _disconnectTime = null;
        _hold = selfRegistered;
        _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
        _client = null;
        _everConnected = true;
        _presumedGone = null;
        _streamConfirmed = clock.GetUtcNow();
        Changed(urgent: true);
    }

    public Task ReportStream(Guid sessionId, ImmutableArray<XdsEvent> events, StreamClient? client)
    {
        ReviveIfPresumedGone(sessionId);
        if (_session != sessionId) return Task.CompletedTask;
        if (client is not null)
        {
            _client = client;
            Changed(urgent: false);
        }
        return Report(sessionId, events);
    }

    public Task Report(Guid sessionId, ImmutableArray<XdsEvent> events)
    {
        ReviveIfPresumedGone(sessionId);
        if (_session != sessionId) return Task.CompletedTask; // a replaced stream's late words
        if (events.Length > 0) Changed(urgent: false);
        foreach (var e in events)
        {
            var s = _types.GetValueOrDefault(e.TypeUrl) ?? new XdsTypeStatus(e.TypeUrl, null, null, null, null, 0, 0, 0, null);
            s = e.Kind switch
            {
                XdsEventKind.Sent => s with { LastSentVersion = e.Version, ResponsesSent = s.ResponsesSent + 1 },
                XdsEventKind.Acked => s with { LastAckedVersion = e.Version, ResponsesAcknowledged = s.ResponsesAcknowledged + 1 },
                _ => s with { LastNackedVersion = e.Version, LastNackError = e.Error, ResponsesRejected = s.ResponsesRejected + 1 },
            };
            _types = _types.SetItem(e.TypeUrl, s with { LastUpdateTime = e.Time });
        }
        return Task.CompletedTask;
    }

    public async Task Disconnect(Guid sessionId, SelfRegisteredHold? selfRegistered)
    {
        if (_presumedGone == sessionId) _presumedGone = null;
        if (_session == sessionId)
        {
            _session = null;
            _closer = null;
            _disconnectTime = clock.GetUtcNow();
            Changed(urgent: true);
            if (selfRegistered is not null)
            {
                // The row passes to a holder no gateway renews: a renewal of the ended stream that was
                // already on its way names the old session and no longer moves the deadline. This grain
                // set that row on connect and no connect came since, so replacing it takes nothing from anyone.
                await leases.HoldAsync(new SelfRegisteredLease(_tenant, _mesh, _name, Guid.NewGuid(), clock.GetUtcNow() + selfRegistered.CleanupDelay));
            }
            return;
        }
        if (_session is not null)
        {
            return; // a newer stream holds the dataplane
        }
        if (selfRegistered is not null)
        {
            // The store moves the deadline only while this session still holds the row. Should this write
            // fail, the stream's last renewal still runs out on its own: the cleanup is later, not lost.
            await leases.ExtendAsync([Holder(sessionId)], clock.GetUtcNow() + selfRegistered.CleanupDelay);
        }
    }

    public async Task<bool> DeleteIfAbandoned(Guid sessionId)
    {
        var lease = await leases.GetAsync(_tenant, _mesh, _name);
        if (lease is null || lease.Session != sessionId) return lease is null; // gone already, or a newer stream holds it
        if (lease.DeleteAfter > clock.GetUtcNow()) return false; // renewed since the sweep read it
        if (_session is { } live && await IsOpen(live))
        {
            if (live == sessionId && _hold is { } hold)
            {
                // Its renewals were lost (the store was down), yet the stream is there: it keeps its dataplane.
                await leases.ExtendAsync([Holder(live)], clock.GetUtcNow() + hold.Lease + hold.CleanupDelay);
            }
            else
            {
                // A stream that brought no Dataplane holds it now: as for any dataplane it did not register, no cleanup.
                await leases.ForgetAsync(Holder(sessionId));
            }
            return false;
        }
        await DeleteDataplane();
        await leases.ForgetAsync(Holder(sessionId));
        return true;
    }

    private async Task<bool> IsOpen(Guid live)
    {
        try
        {
            return _closer is not null && await _closer.IsOpen(live).WaitAsync(StreamCheckTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false; // the gateway does not answer: its process, and the stream with it, is gone
        }
    }

    private async Task DeleteDataplane()
    {
        // Forget the insight first: once the dataplane is gone, nothing may still describe it.
        var (everConnected, types, client) = (_everConnected, _types, _client);
        _everConnected = false;
        _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
        _client = null;
        WriteResult result;
        try
        {
            result = await GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, _mesh)).Delete(ResourceTypes.Dataplane.Name, _name, null);
        }
        catch
        {
            (_everConnected, _types, _client) = (everConnected, types, client); // the dataplane is still there
            throw;
        }
        _session = null;
        _closer = null;
        _presumedGone = null;
        Changed(urgent: true); // the stored insight goes too (written on deactivation at the latest)
        LogSelfRegisteredDeleted(logger, _tenant, _mesh, _name, result.Status);
        DeactivateOnIdle();
    }

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";

    private LeaseHolder Holder(Guid sessionId) => new(_tenant, _mesh, _name, sessionId);

    public Task<DataplaneInsight?> GetInsight()
    {
        if (_session is { } live && _confirming.IsCompleted && clock.GetUtcNow() - _streamConfirmed > StreamRecheckAge)
        {
            _confirming = ConfirmStreamAsync(live); // this answer is the last known state; the next one tells
        }
        return Task.FromResult(_everConnected
            ? new DataplaneInsight(_session is not null, _gateway, _session, _connectTime, _disconnectTime, [.. _types.Values], _client)
            : null);
    }

    /// <summary>Asks the stream's gateway whether the stream is open; when nobody answers, the stream ended then.</summary>
    private async Task ConfirmStreamAsync(Guid live)
    {
        var open = await IsOpen(live);
        if (_session != live) return; // a connect or disconnect came meanwhile and said more
        _streamConfirmed = clock.GetUtcNow();
        if (open) return;
        LogStreamPresumedGone(logger, _tenant, _mesh, _name, live, _gateway);
        _session = null;
        _presumedGone = live;
        _disconnectTime = clock.GetUtcNow();
        Changed(urgent: true);
    }

    private void ReviveIfPresumedGone(Guid sessionId)
    {
        if (_session is not null || _presumedGone != sessionId) return;
        _session = sessionId; // its gateway was only slow to answer
        _presumedGone = null;
        _disconnectTime = null;
        _streamConfirmed = clock.GetUtcNow();
        Changed(urgent: true);
    }

    private async Task LoadAsync()
    {
        // Read into a state of its own: a read that outlives the timeout must not touch the one later writes use.
        var read = new GrainState<StoredInsight>(new StoredInsight());
        try
        {
            await _storage!.ReadStateAsync(StateName, this.GetGrainId(), read).WaitAsync(_persistence!.Timeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Starting blank beats failing the stream that activated this grain; the first write then meets the
            // stored row's version, learns it and writes again.
            LogLoadFailed(logger, _tenant, _mesh, _name, Describe(e));
            return;
        }
        (_stored.ETag, _stored.RecordExists) = (read.ETag, read.RecordExists);
        var stored = read.State ?? new StoredInsight();
        if (!stored.EverConnected) return;
        _everConnected = true;
        _session = stored.Session;
        _gateway = stored.Gateway;
        _closer = stored.Closer is { } closer ? GrainFactory.GetGrain<IStreamCloser>(GrainId.Parse(closer)) : null;
        _connectTime = stored.ConnectTime;
        _disconnectTime = stored.DisconnectTime;
        _types = (stored.Types.IsDefault ? [] : stored.Types).ToImmutableSortedDictionary(t => t.TypeUrl, t => t);
        _client = stored.Client;
        _hold = stored.Hold;
        if (_session is { } live) _confirming = ConfirmStreamAsync(live); // its gateway may have died with the silo
    }

    private void Changed(bool urgent)
    {
        _dirty = true;
        if (urgent) FlushIfChanged();
    }

    private Task FlushIfChanged()
    {
        // One write at a time; what changes meanwhile goes with the next one.
        if (_storage is not null && _dirty && _writing.IsCompleted) _writing = WriteAsync();
        return Task.CompletedTask;
    }

    private async Task WriteAsync()
    {
        using var slot = await (_writeSlots ?? InsightWriteSlots.Unbounded).EnterAsync();
        _dirty = false;
        _stored.State = new StoredInsight
        {
            EverConnected = _everConnected,
            Session = _session,
            Gateway = _gateway,
            Closer = _closer?.GetGrainId().ToString(),
            ConnectTime = _connectTime,
            DisconnectTime = _disconnectTime,
            Types = [.. _types.Values],
            Client = _client,
            Hold = _hold,
        };
        try
        {
            await _storage!.WriteStateAsync(StateName, this.GetGrainId(), _stored);
            if (_failedWrites > 0) LogWriteRecovered(logger, _tenant, _mesh, _name, _failedWrites);
            _failedWrites = 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _dirty = true; // the next interval tries again with whatever is newest then
            if (_failedWrites++ == 0) LogWriteFailed(logger, _tenant, _mesh, _name, Describe(e));
            if (e is InconsistentStateException) await LearnStoredVersionAsync();
        }
    }

    /// <summary>Another activation wrote since (or this one started blank): this insight is the newer one, so take the stored version and write over it.</summary>
    private async Task LearnStoredVersionAsync()
    {
        var read = new GrainState<StoredInsight>(new StoredInsight());
        try
        {
            await _storage!.ReadStateAsync(StateName, this.GetGrainId(), read);
            (_stored.ETag, _stored.RecordExists) = (read.ETag, read.RecordExists);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogLoadFailed(logger, _tenant, _mesh, _name, Describe(e));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataplane {Tenant}/{Mesh}/{Name}: stream {New} replaces {Old}")]
    private static partial void LogReplaced(ILogger logger, string tenant, string mesh, string name, Guid old, Guid @new);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell stream {Session} to close")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, Guid session);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataplane {Tenant}/{Mesh}/{Name}: gateway {Gateway} does not answer for stream {Session}; taken offline")]
    private static partial void LogStreamPresumedGone(ILogger logger, string tenant, string mesh, string name, Guid session, string? gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataplane {Tenant}/{Mesh}/{Name}: could not load the stored insight ({Reason}); starting without it")]
    private static partial void LogLoadFailed(ILogger logger, string tenant, string mesh, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataplane {Tenant}/{Mesh}/{Name}: could not store the insight ({Reason}); retrying every flush interval")]
    private static partial void LogWriteFailed(ILogger logger, string tenant, string mesh, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataplane {Tenant}/{Mesh}/{Name}: insight stored again after {Failures} failed writes")]
    private static partial void LogWriteRecovered(ILogger logger, string tenant, string mesh, string name, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataplane {Tenant}/{Mesh}/{Name}: the last insight was not stored on deactivation ({Reason})")]
    private static partial void LogFinalWriteFailed(ILogger logger, string tenant, string mesh, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-registered dataplane {Tenant}/{Mesh}/{Name} has no stream left; deleted: {Status}")]
    private static partial void LogSelfRegisteredDeleted(ILogger logger, string tenant, string mesh, string name, WriteStatus status);
}
