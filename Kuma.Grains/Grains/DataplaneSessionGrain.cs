using System.Collections.Immutable;
using Kuma.Resources;
using Microsoft.Extensions.Logging;

namespace Kuma.Grains;

/// <summary>
/// Tracks the one live ADS stream of a dataplane. Insight lives in memory only: it is rebuilt by the
/// next reports after a move, and writing it to Postgres on every ACK is what made Kuma's store suffer.
/// </summary>
internal sealed partial class DataplaneSessionGrain(TimeProvider clock, ILogger<DataplaneSessionGrain> logger) : Grain, IDataplaneSessionGrain
{
    private string _tenant = "";
    private string _mesh = "";
    private string _name = "";
    private Guid? _session;
    private IStreamCloser? _closer;
    private string? _gateway;
    private DateTimeOffset? _connectTime;
    private DateTimeOffset? _disconnectTime;
    private TimeSpan? _deleteAfterDisconnect;
    private IGrainTimer? _cleanup;
    private ImmutableSortedDictionary<string, XdsTypeStatus> _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
    private bool _everConnected;

    public override Task OnActivateAsync(CancellationToken ct)
    {
        (_tenant, _mesh, _name) = SessionKeys.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task Connect(Guid sessionId, string gatewayInstance, IStreamCloser closer, TimeSpan? deleteAfterDisconnect)
    {
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
        _cleanup?.Dispose();
        _cleanup = null;
        _session = sessionId;
        _closer = closer;
        _gateway = gatewayInstance;
        _connectTime = clock.GetUtcNow();
        _disconnectTime = null;
        _deleteAfterDisconnect = deleteAfterDisconnect;
        _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
        _everConnected = true;
        return Task.CompletedTask;
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

    public Task Disconnect(Guid sessionId)
    {
        if (_session != sessionId) return Task.CompletedTask;
        _session = null;
        _closer = null;
        _disconnectTime = clock.GetUtcNow();
        if (_deleteAfterDisconnect is { } delay)
        {
            _cleanup = this.RegisterGrainTimer(DeleteSelfRegistered, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
        return Task.CompletedTask;
    }

    private async Task DeleteSelfRegistered(CancellationToken ct)
    {
        _cleanup?.Dispose();
        _cleanup = null;
        if (_session is not null) return; // it came back
        // Forget the insight first: once the dataplane is gone, nothing may still describe it.
        var (everConnected, types) = (_everConnected, _types);
        _everConnected = false;
        _types = ImmutableSortedDictionary<string, XdsTypeStatus>.Empty;
        WriteResult result;
        try
        {
            result = await GrainFactory.GetGrain<IMeshGrain>(GrainKeys.Mesh(_tenant, _mesh)).Delete(ResourceTypes.Dataplane.Name, _name, null);
        }
        catch
        {
            (_everConnected, _types) = (everConnected, types); // the dataplane is still there
            throw;
        }
        LogSelfRegisteredDeleted(logger, _tenant, _mesh, _name, result.Status);
        DeactivateOnIdle();
    }

    public Task<DataplaneInsight?> GetInsight() => Task.FromResult(_everConnected
        ? new DataplaneInsight(_session is not null, _gateway, _session, _connectTime, _disconnectTime, [.. _types.Values])
        : null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataplane {Tenant}/{Mesh}/{Name}: stream {New} replaces {Old}")]
    private static partial void LogReplaced(ILogger logger, string tenant, string mesh, string name, Guid old, Guid @new);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell stream {Session} to close")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, Guid session);

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-registered dataplane {Tenant}/{Mesh}/{Name} stayed away; deleted: {Status}")]
    private static partial void LogSelfRegisteredDeleted(ILogger logger, string tenant, string mesh, string name, WriteStatus status);
}
