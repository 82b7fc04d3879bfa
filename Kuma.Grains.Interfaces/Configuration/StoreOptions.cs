using Kuma.Configuration;
using Npgsql;

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

    private static string BuildPostgresConnectionString(KumaSettings settings)
    {
        if (settings.Get("KUMA_STORE_POSTGRES_CONNECTION_STRING") is { } explicitString) return explicitString;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = settings.GetString("KUMA_STORE_POSTGRES_HOST", "127.0.0.1"),
            Port = settings.GetInt("KUMA_STORE_POSTGRES_PORT", 5432),
            Username = settings.GetString("KUMA_STORE_POSTGRES_USER", "kuma"),
            Password = settings.GetString("KUMA_STORE_POSTGRES_PASSWORD", "kuma"),
            Database = settings.GetString("KUMA_STORE_POSTGRES_DB_NAME", "kuma"),
            MaxPoolSize = settings.GetInt("KUMA_STORE_POSTGRES_MAX_OPEN_CONNECTIONS", 50),
            Timeout = settings.GetInt("KUMA_STORE_POSTGRES_CONNECTION_TIMEOUT", 5),
            SslMode = settings.GetString("KUMA_STORE_POSTGRES_TLS_MODE", "disable") switch
            {
                "disable" => SslMode.Disable,
                "verifyNone" => SslMode.Require,
                "verifyCa" => SslMode.VerifyCA,
                "verifyFull" => SslMode.VerifyFull,
                var other => throw new KumaConfigurationException($"KUMA_STORE_POSTGRES_TLS_MODE must be disable, verifyNone, verifyCa or verifyFull, got '{other}'"),
            },
        };
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_CA_PATH") is { } ca) builder.RootCertificate = ca;
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_CERT_PATH") is { } cert) builder.SslCertificate = cert;
        if (settings.Get("KUMA_STORE_POSTGRES_TLS_KEY_PATH") is { } key) builder.SslKey = key;
        return builder.ConnectionString;
    }
}
