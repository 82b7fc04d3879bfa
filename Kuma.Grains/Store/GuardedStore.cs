using System.Net.Sockets;
using Kuma.Resources;
using Npgsql;

namespace Kuma.Store;

/// <summary>
/// Every call to the durable store, bounded in time and with failures told apart: a store that is down,
/// stalled or dropped the connection surfaces as <see cref="StoreUnavailableException"/> (503 at the
/// edge) instead of whatever the driver threw. Reads are retried once on a fresh connection, since
/// after the server restarts the pool may hand out connections that died with it. A failed write is
/// reported as of unknown outcome unless it provably never reached the server.
/// </summary>
public sealed class GuardedStore(IResourceStore inner, OutageLog health, TimeSpan timeout, Action? dropIdleConnections = null) : IResourceStore
{
    public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default) =>
        Read(c => inner.GetAsync(key, c), ct);

    public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default) =>
        Read(c => inner.ListAsync(query, c), ct);

    public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default) =>
        Read(c => inner.ListMeshAsync(tenant, mesh, c), ct);

    public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default) =>
        Write(c => inner.CreateAsync(writes, generation, quota, c), ct);

    public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default) =>
        Write(c => inner.UpdateAsync(write, expectedVersion, generation, c), ct);

    public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default) =>
        Write(c => inner.DeleteAsync(key, expectedVersion, generation, c), ct);

    public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default) =>
        Write(c => inner.DeleteMeshAsync(tenant, mesh, expectedVersion, c), ct);

    public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default) =>
        Write(c => inner.DeleteTenantAsync(tenant, expectedVersion, c), ct);

    public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default) =>
        Read(c => inner.CountAsync(tenant, types, c), ct);

    public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default) =>
        Read(c => inner.GetGenerationAsync(generation, c), ct);

    private async Task<T> Read<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await Attempt(call, ct);
        }
        catch (Exception e) when (Failure.Of(e, ct) is { } failure && failure.ConnectionLost)
        {
            return await Guarded(call, write: false, ct); // once more, on a connection opened now
        }
        catch (Exception e) when (Failure.Of(e, ct) is { } failure)
        {
            throw Unavailable(failure, write: false);
        }
    }

    private async Task<T> Write<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct) => await Guarded(call, write: true, ct);

    private async Task<T> Guarded<T>(Func<CancellationToken, Task<T>> call, bool write, CancellationToken ct)
    {
        try
        {
            return await Attempt(call, ct);
        }
        catch (Exception e) when (Failure.Of(e, ct) is { } failure)
        {
            throw Unavailable(failure, write);
        }
    }

    private async Task<T> Attempt<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        var result = await call(bounded.Token);
        health.RecordSuccess();
        return result;
    }

    private StoreUnavailableException Unavailable(Failure failure, bool write)
    {
        health.RecordFailure(failure.Kind, failure.Detail);
        if (failure.ConnectionLost) dropIdleConnections?.Invoke();
        var outcomeUnknown = write && !failure.NeverSent;
        return new StoreUnavailableException(
            outcomeUnknown ? $"the store did not confirm the write ({failure.Kind}); its outcome is unknown" : $"the store is unavailable ({failure.Kind})",
            outcomeUnknown);
    }

    /// <summary>What went wrong, when it is the store's availability rather than a bug or a refusal.</summary>
    private sealed record Failure(string Kind, string Detail, bool ConnectionLost, bool NeverSent)
    {
        public static Failure? Of(Exception e, CancellationToken callerToken)
        {
            if (callerToken.IsCancellationRequested) return null; // the caller gave up; not the store's fault
            return e switch
            {
                OperationCanceledException or TimeoutException => new("timeout", "no answer in time", false, false),
                NpgsqlException { InnerException: TimeoutException } => new("timeout", "no answer in time", false, false),
                NpgsqlException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } s } => new("refused", s.Message, true, true),
                NpgsqlException { InnerException: SocketException s } => new("connection", s.Message, true, false),
                NpgsqlException { InnerException: IOException io } => new("connection", io.Message, true, false),
                PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal)
                    || p.SqlState.StartsWith("53", StringComparison.Ordinal) => new("server", $"{p.SqlState} {p.MessageText}", true, false),
                PostgresException => null, // a statement the server refused: a bug to see, not an outage
                NpgsqlException n => new("connection", n.Message, true, false),
                SocketException s => new("connection", s.Message, true, false),
                IOException io => new("connection", io.Message, true, false),
                _ => null,
            };
        }
    }
}
