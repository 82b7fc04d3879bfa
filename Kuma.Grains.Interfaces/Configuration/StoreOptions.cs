using System.Data.Common;

namespace Kuma.Configuration;

public enum StoreType
{
    Memory,
    Postgres,
}

/// <summary>Where resources are kept, from <c>KUMA_STORE_*</c> (Kuma's names).</summary>
/// <param name="Timeout">How long one store call may take before it counts as failed (503 at the edge).</param>
public sealed record StoreOptions(StoreType Type, string? PostgresConnectionString, bool AutoMigrate, TimeSpan Timeout)
{
    /// <summary>The longest connection timeout Npgsql accepts, in seconds.</summary>
    private const int MaxConnectionTimeoutSeconds = 1024;

    public static StoreOptions From(KumaSettings settings)
    {
        var type = settings.GetString("KUMA_STORE_TYPE", "memory").ToLowerInvariant() switch
        {
            "memory" => StoreType.Memory,
            "postgres" => StoreType.Postgres,
            var other => throw new KumaConfigurationException($"KUMA_STORE_TYPE must be memory or postgres, got '{other}'"),
        };
        return new StoreOptions(
            type,
            type == StoreType.Postgres ? BuildPostgresConnectionString(settings) : null,
            settings.GetBool("KUMA_STORE_POSTGRES_AUTO_MIGRATE", true),
            settings.GetDuration("KUMA_STORE_TIMEOUT", TimeSpan.FromSeconds(5)));
    }

    /// <remarks>
    /// Built with the framework's keyword builder, not Npgsql's, so this contracts assembly needs no
    /// database driver: the keywords are the ones Npgsql writes, giving the same string, and the ranges
    /// Npgsql's builder would refuse are refused here, still at configuration time.
    /// </remarks>
    private static string BuildPostgresConnectionString(KumaSettings settings)
    {
        if (settings.Get("KUMA_STORE_POSTGRES_CONNECTION_STRING") is { } explicitString) return explicitString;
        var builder = new DbConnectionStringBuilder
        {
            ["Host"] = settings.GetString("KUMA_STORE_POSTGRES_HOST", "127.0.0.1"),
            ["Port"] = InRange(settings, "KUMA_STORE_POSTGRES_PORT", 5432, min: 1, max: int.MaxValue),
            ["Username"] = settings.GetString("KUMA_STORE_POSTGRES_USER", "kuma"),
            ["Password"] = settings.GetString("KUMA_STORE_POSTGRES_PASSWORD", "kuma"),
            ["Database"] = settings.GetString("KUMA_STORE_POSTGRES_DB_NAME", "kuma"),
            ["Maximum Pool Size"] = InRange(settings, "KUMA_STORE_POSTGRES_MAX_OPEN_CONNECTIONS", 50, min: 0, max: int.MaxValue),
            ["Timeout"] = InRange(settings, "KUMA_STORE_POSTGRES_CONNECTION_TIMEOUT", 5, min: 0, max: MaxConnectionTimeoutSeconds),
            ["SSL Mode"] = settings.GetString("KUMA_STORE_POSTGRES_TLS_MODE", "disable") switch
            {
                "disable" => "Disable",
                "verifyNone" => "Require",
                "verifyCa" => "VerifyCA",
                "verifyFull" => "VerifyFull",
                var other => throw new KumaConfigurationException($"KUMA_STORE_POSTGRES_TLS_MODE must be disable, verifyNone, verifyCa or verifyFull, got '{other}'"),
            },
        };
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_CA_PATH") is { } ca) builder["Root Certificate"] = ca;
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_CERT_PATH") is { } cert) builder["SSL Certificate"] = cert;
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_KEY_PATH") is { } key) builder["SSL Key"] = key;
        return builder.ConnectionString;
    }

    private static int InRange(KumaSettings settings, string name, int fallback, int min, int max)
    {
        var value = settings.GetInt(name, fallback);
        return value >= min && value <= max
            ? value
            : throw new KumaConfigurationException($"{name} must be between {min} and {max}, got {value}");
    }
}
