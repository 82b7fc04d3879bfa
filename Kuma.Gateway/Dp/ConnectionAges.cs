using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Kuma.Gateway.Dp;

/// <summary>
/// The maximum age of DP connections. Proxies hold one connection for as long as the gateway lives, so after a
/// scale-out the new gateways would stay idle; each connection here is given an age (the setting, ±10 % so the proxies
/// of one burst do not all come back at once), after which its streams end with UNAVAILABLE and the connection is told
/// GOAWAY. The proxies reconnect, through whatever spreads them, possibly to another gateway, and present the versions
/// they hold. A connection still open a grace after that is cut.
/// </summary>
public sealed class ConnectionAges(DpServerOptions options, TimeProvider clock)
{
    internal const double Jitter = 0.1;
    private readonly ConcurrentDictionary<string, AgedConnection> _open = new();

    /// <summary>Draws in [0, 1); tests fix it.</summary>
    internal Func<double> Draw { get; init; } = Random.Shared.NextDouble;

    public bool Enabled => options.MaxConnectionAge > TimeSpan.Zero;

    /// <summary>DP connections open now (while ages are on).</summary>
    internal int OpenCount => _open.Count;

    /// <summary>The age one connection gets: the setting scaled by a factor in [0.9, 1.1).</summary>
    internal TimeSpan NextAge() => options.MaxConnectionAge * (1 + Jitter * (2 * Draw() - 1));

    /// <summary>Kestrel's connection middleware on the DP listener: the connection ages from now until it closes.</summary>
    public async Task TrackAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!Enabled)
        {
            await next(connection);
            return;
        }
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var aged = Start(
            () => lifetime?.RequestClose(),
            () => connection.Abort(new ConnectionAbortedException("the connection outlived its maximum age and grace")));
        _open[connection.ConnectionId] = aged;
        try
        {
            await next(connection);
        }
        finally
        {
            _open.TryRemove(connection.ConnectionId, out _);
        }
    }

    /// <summary>A connection that says GOAWAY through <paramref name="requestClose"/> and is cut through <paramref name="abort"/>.</summary>
    internal AgedConnection Start(Action requestClose, Action abort) => new(NextAge(), options.MaxConnectionAgeGrace, clock, requestClose, abort);

    /// <summary>The aged connection a request came on (by Kestrel's connection id), or null when ages are off.</summary>
    public AgedConnection? Of(string connectionId) => _open.GetValueOrDefault(connectionId);
}

/// <summary>One DP connection's age: at its end the streams on it are stopped, GOAWAY is requested and, after the grace, the connection is cut.</summary>
public sealed class AgedConnection : IDisposable
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _streams = new();
    private readonly TimeSpan _grace;
    private readonly TimeProvider _clock;
    private readonly Action _requestClose;
    private readonly Action _abort;
    private readonly ITimer _ageTimer;
    private readonly Lock _gate = new();
    private ITimer? _graceTimer;
    private bool _disposed;
    private volatile bool _expired;

    internal AgedConnection(TimeSpan age, TimeSpan grace, TimeProvider clock, Action requestClose, Action abort)
    {
        Age = age;
        _grace = grace;
        _clock = clock;
        _requestClose = requestClose;
        _abort = abort;
        _ageTimer = clock.CreateTimer(_ => Expire(), null, age, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Age { get; }

    /// <summary>True once the age is reached: its streams end with UNAVAILABLE and new ones are refused.</summary>
    public bool Expired => _expired;

    /// <summary>A stream on this connection: stopped when the age is reached (at once, when it already is).</summary>
    public void Enlist(Guid session, CancellationTokenSource stop)
    {
        _streams[session] = stop;
        if (_expired) Stop(stop);
    }

    public void Leave(Guid session) => _streams.TryRemove(session, out _);

    private void Expire()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _expired = true;
            _graceTimer = _clock.CreateTimer(_ => _abort(), null, _grace, Timeout.InfiniteTimeSpan);
        }
        foreach (var stop in _streams.Values) Stop(stop);
        _requestClose();
    }

    private static void Stop(CancellationTokenSource stop)
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _ageTimer.Dispose();
            _graceTimer?.Dispose();
        }
    }
}
