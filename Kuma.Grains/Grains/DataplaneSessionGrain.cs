using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Store;
using Microsoft.Extensions.Logging;
using Orleans.Placement;

namespace Kuma.Grains;

/// <summary>
/// Tracks the one live ADS stream of a dataplane. Insight lives in memory only: it is rebuilt by the
/// next reports after a move, and writing it to Postgres on every ACK is what made Kuma's store suffer.
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

    public override Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh, _name) = SessionKeys.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
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
    }

    public Task ReportStream(Guid sessionId, ImmutableArray<XdsEvent> events, StreamClient? client)
    {
        if (_session != sessionId) return Task.CompletedTask;
        if (client is not null) _client = client;
        return Report(sessionId, events);
    }

    public Task Report(Guid sessionId, ImmutableArray<XdsEvent> events)
    {
        if (_session != sessionId) return Task.CompletedTask; // a replaced stream's late words
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
        if (_session == sessionId)
        {
            _session = null;
            _closer = null;
            _disconnectTime = clock.GetUtcNow();
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
        LogSelfRegisteredDeleted(logger, _tenant, _mesh, _name, result.Status);
        DeactivateOnIdle();
    }

    private LeaseHolder Holder(Guid sessionId) => new(_tenant, _mesh, _name, sessionId);

    public Task<DataplaneInsight?> GetInsight() => Task.FromResult(_everConnected
        ? new DataplaneInsight(_session is not null, _gateway, _session, _connectTime, _disconnectTime, [.. _types.Values], _client)
        : null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataplane {Tenant}/{Mesh}/{Name}: stream {New} replaces {Old}")]
    private static partial void LogReplaced(ILogger logger, string tenant, string mesh, string name, Guid old, Guid @new);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell stream {Session} to close")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, Guid session);

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-registered dataplane {Tenant}/{Mesh}/{Name} has no stream left; deleted: {Status}")]
    private static partial void LogSelfRegisteredDeleted(ILogger logger, string tenant, string mesh, string name, WriteStatus status);
}
