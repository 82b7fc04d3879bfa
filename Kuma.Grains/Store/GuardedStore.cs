using System.Net.Sockets;
using Kuma.Resources;
using Npgsql;

namespace Kuma.Store;

/// <summary>
/// Every call to the durable store with its failures told apart (time is bounded by the pool, see StoreServices): a store that is down,
/// stalled or dropped the connection surfaces as <see cref="StoreUnavailableException"/> (503 at the
/// edge) instead of whatever the driver threw. After the server restarts the pool may hand out
/// connections that died with it, so a call that lost its connection is tried once more on a fresh one:
/// reads always, writes when nothing was committed (the store's writes commit in a separate step, see
/// <see cref="CommitUnconfirmedException"/>). Only an unanswered COMMIT leaves a write's outcome unknown.
/// </summary>
public sealed class GuardedStore(IResourceStore inner, OutageLog health, Action? dropIdleConnections = null) : IResourceStore
{
    public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default) =>
        Call(c => inner.GetAsync(key, c), ct);

    public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default) =>
        Call(c => inner.ListAsync(query, c), ct);

    public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default) =>
        Call(c => inner.ListMeshAsync(tenant, mesh, c), ct);

    public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default) =>
        Call(c => inner.CreateAsync(writes, generation, quota, c), ct);

    public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default) =>
        Call(c => inner.UpdateAsync(write, expectedVersion, generation, c), ct);

    public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default) =>
        Call(c => inner.DeleteAsync(key, expectedVersion, generation, c), ct);

    public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default) =>
        Call(c => inner.DeleteMeshAsync(tenant, mesh, expectedVersion, c), ct);

    public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default) =>
        Call(c => inner.DeleteTenantAsync(tenant, expectedVersion, c), ct);

    public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default) =>
        Call(c => inner.CountAsync(tenant, types, c), ct);

    public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default) =>
        Call(c => inner.GetGenerationAsync(generation, c), ct);

    public Task<long?> FenceAsync(Generation generation, CancellationToken ct = default) =>
        Call(c => inner.FenceAsync(generation, c), ct);

    /// <summary>
    /// One store call. A call that lost its connection committed nothing (unless its COMMIT went
    /// unanswered), so it is made once more on a connection opened now: the pool may still hold
    /// connections that died with a restarted server. Time is bounded by the pool itself (StoreServices
    /// sets every statement's timeout to the store timeout, and opening a connection has its own).
    /// </summary>
    private async Task<T> Call<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct, bool mayRetry = true)
    {
        T result;
        try
        {
            result = await call(ct);
        }
        catch (Exception e) when (mayRetry && e is not CommitUnconfirmedException && Failure.Of(e, ct) is { ConnectionLost: true })
        {
            dropIdleConnections?.Invoke();
            return await Call(call, ct, mayRetry: false);
        }
        catch (Exception e) when (Failure.Of(e, ct) is { } failure)
        {
            throw Unavailable(failure, e is CommitUnconfirmedException);
        }
        health.RecordSuccess();
        return result;
    }

    private StoreUnavailableException Unavailable(Failure failure, bool outcomeUnknown)
    {
        health.RecordFailure(failure.Kind, failure.Detail);
        // Idle connections opened before the outage are likely dead; the next call should not meet them.
        if (failure.Kind != "timeout") dropIdleConnections?.Invoke();
        return new StoreUnavailableException(
            outcomeUnknown ? $"the store did not confirm the write ({failure.Kind}); its outcome is unknown" : $"the store is unavailable ({failure.Kind})",
            outcomeUnknown);
    }

    /// <summary>
    /// What went wrong, when it is the store's availability rather than a bug or a refusal.
    /// <see cref="ConnectionLost"/>: the connection broke under the call, which a fresh one may not.
    /// </summary>
    private sealed record Failure(string Kind, string Detail, bool ConnectionLost)
    {
        public static Failure? Of(Exception e, CancellationToken callerToken)
        {
            if (callerToken.IsCancellationRequested) return null; // the caller gave up; not the store's fault
            if (e is CommitUnconfirmedException { InnerException: { } inner }) e = inner;
            return e switch
            {
                OperationCanceledException or TimeoutException => new("timeout", "no answer in time", false),
                NpgsqlException { InnerException: TimeoutException } => new("timeout", "no answer in time", false),
                NpgsqlException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } s } => new("refused", s.Message, false),
                NpgsqlException { InnerException: SocketException s } => new("connection", s.Message, true),
                NpgsqlException { InnerException: IOException io } => new("connection", io.Message, true),
                PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal)
                    || p.SqlState.StartsWith("53", StringComparison.Ordinal) => new("server", $"{p.SqlState} {p.MessageText}", true),
                PostgresException => null, // a statement the server refused: a bug to see, not an outage
                NpgsqlException n => new("connection", n.Message, true),
                SocketException s => new("connection", s.Message, true),
                IOException io => new("connection", io.Message, true),
                _ => null,
            };
        }
    }
}
