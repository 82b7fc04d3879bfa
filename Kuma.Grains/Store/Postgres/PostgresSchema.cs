using Microsoft.Extensions.Logging;
using Npgsql;

namespace Kuma.Store.Postgres;

/// <summary>
/// The project's own schema: numbered steps applied once each, under an advisory lock so that any
/// number of control planes may start at the same time. Running it again changes nothing.
/// </summary>
public static partial class PostgresSchema
{
    // Any constant works; it only has to be the same for every instance of this product.
    private const long AdvisoryLockId = 0x6b756d61_00000001;

    private static readonly (int Version, string Description, string Sql)[] Steps =
    [
        (1, "resources and mesh generations", """
            CREATE TABLE kuma_resources (
                tenant            text COLLATE "C" NOT NULL,
                type              text COLLATE "C" NOT NULL,
                mesh              text COLLATE "C" NOT NULL,
                name              text COLLATE "C" NOT NULL,
                spec              json NOT NULL,
                labels            jsonb NOT NULL DEFAULT '{}'::jsonb,
                version           bigint NOT NULL,
                creation_time     timestamptz NOT NULL,
                modification_time timestamptz NOT NULL,
                PRIMARY KEY (tenant, type, mesh, name)
            );
            CREATE INDEX kuma_resources_by_mesh ON kuma_resources (tenant, mesh, type, name);
            CREATE INDEX kuma_resources_by_labels ON kuma_resources USING gin (labels jsonb_path_ops);
            CREATE TABLE kuma_generations (
                tenant     text COLLATE "C" NOT NULL,
                mesh       text COLLATE "C" NOT NULL,
                generation bigint NOT NULL,
                PRIMARY KEY (tenant, mesh)
            );
            """),
        (2, "orleans clustering", OrleansClusteringSchema.Tables),
        (3, "self-registered dataplane leases", PostgresSelfRegisteredLeaseStore.Table),
        (4, "orleans grain state (dataplane insights)", OrleansPersistenceSchema.Tables),
    ];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, $"SELECT pg_advisory_lock({AdvisoryLockId})", ct);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS kuma_schema_migrations (
                    version     integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, ct);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("SELECT version FROM kuma_schema_migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));
            }
            foreach (var (version, description, sql) in Steps.Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await Execute(connection, sql, ct);
                await using (var record = new NpgsqlCommand("INSERT INTO kuma_schema_migrations (version, description) VALUES ($1, $2)", connection))
                {
                    record.Parameters.AddWithValue(version);
                    record.Parameters.AddWithValue(description);
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                LogApplied(logger, version, description);
            }
            // Query texts are data, refreshed on every start so a newer build's queries replace older ones.
            await OrleansClusteringSchema.UpsertQueriesAsync(connection, OrleansClusteringSchema.Queries, ct);
            await OrleansClusteringSchema.UpsertQueriesAsync(connection, OrleansPersistenceSchema.Queries, ct);
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({AdvisoryLockId})", CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema step {Version}: {Description}")]
    private static partial void LogApplied(ILogger logger, int version, string description);
}
