using System.Collections.Immutable;
using Kuma.Configuration;
using Kuma.Diagnostics;
using Kuma.Gateway.Dp;
using Npgsql;

namespace Kuma.Gateway.Diagnostics;

/// <summary>One readiness check's outcome; <see cref="Problem"/> is null when it passed.</summary>
public sealed record CheckResult(string Name, string? Problem);

/// <summary>
/// Whether this node should be sent traffic: the store answers, the node is in the cluster (a silo Active in
/// membership; a DP server's cluster probe answered), and the DP server listens. The checks run at most once
/// per <see cref="CacheFor"/> however many callers ask, so a flood of <c>/ready</c> never becomes store queries.
/// </summary>
public sealed class Readiness : IAsyncDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(2);

    private readonly NpgsqlDataSource? _store;
    private readonly ISiloMembershipCheck? _membership;
    private readonly ClusterProbe? _probe;
    private readonly GatewayNode? _node;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private Task<ImmutableArray<CheckResult>>? _running;
    private (DateTimeOffset At, ImmutableArray<CheckResult> Results)? _last;

    public Readiness(StoreOptions store, IServiceProvider services, IHostApplicationLifetime lifetime, TimeProvider clock)
    {
        if (store.Type == StoreType.Postgres)
        {
            // A pool of its own, one connection at most: the probe never waits behind the control plane's queries nor adds to them.
            var probe = new NpgsqlConnectionStringBuilder(store.PostgresConnectionString!)
            {
                MaxPoolSize = 1,
                Timeout = (int)StoreTimeout.TotalSeconds,
                CommandTimeout = (int)StoreTimeout.TotalSeconds,
                ApplicationName = "kuma-readiness",
            };
            _store = NpgsqlDataSource.Create(probe.ConnectionString);
        }
        _membership = services.GetService<ISiloMembershipCheck>();
        _node = services.GetService<GatewayNode>();
        _probe = _node is null ? null : services.GetService<ClusterProbe>();
        _lifetime = lifetime;
        _clock = clock;
    }

    public Task<ImmutableArray<CheckResult>> CheckAsync()
    {
        lock (_gate)
        {
            if (_last is { } last && _clock.GetUtcNow() - last.At < CacheFor) return Task.FromResult(last.Results);
            // Never inline: a run that completed under this lock would clear _running before it is set, and stay forever.
            return _running ??= Task.Run(RunAsync);
        }
    }

    private async Task<ImmutableArray<CheckResult>> RunAsync()
    {
        try
        {
            ImmutableArray<CheckResult> results = [await CheckStoreAsync(), CheckCluster(), CheckDpServer()];
            lock (_gate) _last = (_clock.GetUtcNow(), results);
            return results;
        }
        finally
        {
            lock (_gate) _running = null;
        }
    }

    private async Task<CheckResult> CheckStoreAsync()
    {
        if (_store is null) return new("store", null);
        try
        {
            using var timeout = new CancellationTokenSource(StoreTimeout, _clock);
            await using var command = _store.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return new("store", null);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // Connections opened before an outage may be dead: the next check opens a fresh one.
            _store.Clear();
            return new("store", $"PostgreSQL does not answer ({e.GetType().Name})");
        }
    }

    private CheckResult CheckCluster()
    {
        if (_membership?.Problem() is { } problem) return new("cluster", problem);
        if (_probe is not null && (_probe.LastAnswer is null || _probe.CutOff)) return new("cluster", ClusterProbe.CutOffMessage);
        return new("cluster", null);
    }

    private CheckResult CheckDpServer()
    {
        if (_node is null) return new("dpServer", null);
        if (!_lifetime.ApplicationStarted.IsCancellationRequested) return new("dpServer", "the DP server is not listening yet");
        if (_node.ShuttingDown) return new("dpServer", "the DP server is shutting down");
        return new("dpServer", null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
    }
}
