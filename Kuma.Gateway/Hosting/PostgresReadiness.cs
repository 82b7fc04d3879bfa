using System.Net.Sockets;
using System.Security.Authentication;
using Kuma.Configuration;
using Npgsql;

namespace Kuma.Gateway.Hosting;

/// <summary>PostgreSQL refused this process for a reason that waiting cannot fix (credentials, a missing database, rights, TLS).</summary>
public sealed class StoreRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>PostgreSQL could not be reached, or dropped the connection (it may be back later).</summary>
public sealed class StoreUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Start-up waits for PostgreSQL rather than exiting into a crash loop: each attempt opens a connection and
/// runs <c>SELECT 1</c>, bounded by the connection timeout; a failed attempt logs one line (no stack trace)
/// and the next comes after <see cref="StartupBackoff"/>. Errors that retrying cannot fix end the wait at
/// once as <see cref="StoreRejectedException"/>.
/// </summary>
public static partial class PostgresReadiness
{
    private enum Kind
    {
        Other,
        Transient,
        Fatal,
    }

    /// <summary>Returns once PostgreSQL answers; throws <see cref="OperationCanceledException"/> when <paramref name="ct"/> ends the wait.</summary>
    public static async Task WaitAsync(string connectionString, TimeSpan maxDelay, ILogger logger, CancellationToken ct)
    {
        var target = Target(connectionString);
        var backoff = new StartupBackoff(maxDelay);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ProbeAsync(target, ct);
                if (attempt > 1) LogReachable(logger, target.Host ?? "", target.Port, target.Database ?? "", attempt);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && Classify(e) == Kind.Transient)
            {
                var delay = backoff.Next();
                LogWaiting(logger, target.Host ?? "", target.Port, target.Database ?? "", attempt, Describe(e), delay.TotalSeconds);
                await Task.Delay(delay, ct);
            }
            catch (Exception e) when (Classify(e) == Kind.Fatal)
            {
                throw Rejected(target, e);
            }
        }
    }

    /// <summary>
    /// What a store failure during start-up means, as an exception that tells it in one line:
    /// <see cref="StoreRejectedException"/> (retrying cannot help), <see cref="StoreUnreachableException"/>
    /// (it may be back later), or null for anything else (a bug: let it surface with its stack).
    /// </summary>
    public static Exception? Translate(string connectionString, Exception e)
    {
        var target = Target(connectionString);
        return Classify(e) switch
        {
            Kind.Fatal => Rejected(target, e),
            Kind.Transient => new StoreUnreachableException($"PostgreSQL at {Where(target)} is unavailable: {Describe(e)}", e),
            _ => null,
        };
    }

    /// <summary>True when waiting and trying again may succeed (the server is down, starting, overloaded, or cut the connection).</summary>
    public static bool IsTransient(Exception e) => Classify(e) == Kind.Transient;

    /// <summary>One line saying why an attempt failed: PostgreSQL's message and SQLSTATE, or the socket error.</summary>
    public static string Describe(Exception e)
    {
        var reason = e switch
        {
            PostgresException pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState})",
            TimeoutException t => t.Message,
            _ => Chain(e).OfType<SocketException>().FirstOrDefault()?.Message
                ?? Chain(e).OfType<PostgresException>().Select(pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState})").FirstOrDefault()
                ?? Chain(e).Last().Message,
        };
        return reason.ReplaceLineEndings(" ");
    }

    private static NpgsqlConnectionStringBuilder Target(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        }
        catch (ArgumentException e)
        {
            throw new KumaConfigurationException($"the PostgreSQL connection string is not valid: {e.Message}");
        }
    }

    private static async Task ProbeAsync(NpgsqlConnectionStringBuilder target, CancellationToken ct)
    {
        var seconds = target.Timeout > 0 ? target.Timeout : 15;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(seconds * 2)); // the connection, then the query
        try
        {
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync(bounded.Token);
            await using var probe = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = seconds };
            await probe.ExecuteScalarAsync(bounded.Token);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {seconds * 2} s", e);
        }
    }

    private static Kind Classify(Exception e)
    {
        if (Chain(e).OfType<PostgresException>().FirstOrDefault() is { } pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => Kind.Fatal, // authentication failed, no such role / not allowed by pg_hba.conf
                "3D000" => Kind.Fatal,            // the database does not exist
                "42501" => Kind.Fatal,            // insufficient privilege (no CONNECT, no DDL rights for the migration)
                _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => Kind.Transient, // connection exceptions
                "57P01" or "57P02" or "57P03" or "53300" or "53400" => Kind.Transient, // shutting down, starting up, too many connections
                _ when pg.SqlState.StartsWith("53", StringComparison.Ordinal) => Kind.Transient, // insufficient resources
                _ => Kind.Other,
            };
        }
        if (Chain(e).Any(x => x is AuthenticationException)) return Kind.Fatal; // TLS handshake: certificate or mode
        if (e is KumaConfigurationException or ArgumentException) return Kind.Fatal;
        return Chain(e).Any(x => x is NpgsqlException or SocketException or TimeoutException or IOException) ? Kind.Transient : Kind.Other;
    }

    private static StoreRejectedException Rejected(NpgsqlConnectionStringBuilder target, Exception e) =>
        e as StoreRejectedException ?? new StoreRejectedException(
            $"PostgreSQL at {Where(target)} refused user '{target.Username}': {Describe(e)}; retrying cannot fix this, check the KUMA_STORE_POSTGRES_* settings", e);

    private static string Where(NpgsqlConnectionStringBuilder target) => $"{target.Host}:{target.Port}/{target.Database}";

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Waiting for PostgreSQL at {Host}:{Port}/{Database} (attempt {Attempt}): {Reason}; retrying in {RetryInSeconds:0.0} s")]
    private static partial void LogWaiting(ILogger logger, string host, int port, string database, int attempt, string reason, double retryInSeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "PostgreSQL at {Host}:{Port}/{Database} answers (attempt {Attempt})")]
    private static partial void LogReachable(ILogger logger, string host, int port, string database, int attempt);
}
