using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>What happened on one xDS type of a stream, as the gateway reports it.</summary>
public enum XdsEventKind
{
    Sent,
    Acked,
    Nacked,
}

[GenerateSerializer, Immutable, Alias("kuma.XdsEvent")]
public sealed record XdsEvent(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] XdsEventKind Kind,
    [property: Id(2)] string Version,
    [property: Id(3)] string? Error,
    [property: Id(4)] DateTimeOffset Time);

/// <summary>Per xDS type: what was last sent, acknowledged and rejected (with the proxy's error text).</summary>
[GenerateSerializer, Immutable, Alias("kuma.XdsTypeStatus")]
public sealed record XdsTypeStatus(
    [property: Id(0)] string TypeUrl,
    [property: Id(1)] string? LastSentVersion,
    [property: Id(2)] string? LastAckedVersion,
    [property: Id(3)] string? LastNackedVersion,
    [property: Id(4)] string? LastNackError,
    [property: Id(5)] long ResponsesSent,
    [property: Id(6)] long ResponsesAcknowledged,
    [property: Id(7)] long ResponsesRejected,
    [property: Id(8)] DateTimeOffset? LastUpdateTime);

/// <summary>
/// A dataplane's connection as its session grain knows it. <see cref="Client"/> is null until the stream's
/// first report arrives (and from gateways that predate it).
/// </summary>
[GenerateSerializer, Immutable, Alias("kuma.DataplaneInsight")]
public sealed record DataplaneInsight(
    [property: Id(0)] bool Connected,
    [property: Id(1)] string? GatewayInstance,
    [property: Id(2)] Guid? SessionId,
    [property: Id(3)] DateTimeOffset? ConnectTime,
    [property: Id(4)] DateTimeOffset? DisconnectTime,
    [property: Id(5)] ImmutableArray<XdsTypeStatus> Types,
    [property: Id(6)] StreamClient? Client = null);

/// <summary>A gateway node's handle for closing a stream that a newer one replaced, and for asking whether a stream is still open there.</summary>
[Alias("kuma.IStreamCloser")]
public interface IStreamCloser : IGrainObserver
{
    [Alias("Close")] void Close(Guid sessionId);

    [Alias("IsOpen")] Task<bool> IsOpen(Guid sessionId);
}

/// <summary>One dataplane's connection: at most one live stream, its insight, and the cleanup of self-registered dataplanes.</summary>
[Alias("kuma.IDataplaneSessionGrain")]
public interface IDataplaneSessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes over as the live stream; a previous stream is told to close through its gateway's closer. With
    /// <paramref name="selfRegistered"/>, the stream holds its dataplane in the store before the caller writes it.
    /// </summary>
    [Alias("Connect")] Task Connect(Guid sessionId, string gatewayInstance, IStreamCloser closer, SelfRegisteredHold? selfRegistered);

    [Alias("Report")] Task Report(Guid sessionId, ImmutableArray<XdsEvent> events);

    /// <summary>
    /// <see cref="Report"/> with, when it changed since the last report, who the client is and what it subscribes to.
    /// </summary>
    [Alias("ReportStream")] Task ReportStream(Guid sessionId, ImmutableArray<XdsEvent> events, StreamClient? client);

    /// <summary>
    /// The stream ended. A self-registering stream passes its hold again: an activation that never saw the
    /// stream (it moved with a dead silo) can still start the cleanup delay instead of waiting out the lease.
    /// </summary>
    [Alias("Disconnect")] Task Disconnect(Guid sessionId, SelfRegisteredHold? selfRegistered);

    /// <summary>
    /// Deletes the self-registered dataplane when <paramref name="sessionId"/> still holds it in the store, its
    /// deadline has passed and no stream is open; true when it is gone. Throws when the delete failed (retry later).
    /// </summary>
    [Alias("DeleteIfAbandoned")] Task<bool> DeleteIfAbandoned(Guid sessionId);

    /// <summary>Null when no stream ever connected since this grain was activated.</summary>
    [AlwaysInterleave, Alias("GetInsight")] Task<DataplaneInsight?> GetInsight();
}

public static class SessionKeys
{
    public static string Dataplane(string tenant, string mesh, string name) => $"t/{tenant}/m/{mesh}/dp/{name}";

    public static (string Tenant, string Mesh, string Name) Parse(string key) =>
        key.Split('/', 6) is ["t", var tenant, "m", var mesh, "dp", var name]
            ? (tenant, mesh, name)
            : throw new ArgumentException($"not a dataplane session key: {key}", nameof(key));
}
