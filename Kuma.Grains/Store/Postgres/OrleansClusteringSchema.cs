using Npgsql;

namespace Kuma.Store.Postgres;

/// <summary>
/// Tables and named queries for Orleans' ADO.NET clustering provider, written for this project from the
/// provider's contract: it reads <c>OrleansQuery(QueryKey, QueryText)</c> (unquoted, so lower case here),
/// binds parameters by name, reads result columns by name, and takes a single truthy column as success.
/// Each write is one statement, so it is atomic without relying on plpgsql assertions.
/// </summary>
internal static class OrleansClusteringSchema
{
    public const string Tables = """
        CREATE TABLE orleansquery (
            querykey  text PRIMARY KEY,
            querytext text NOT NULL
        );
        CREATE TABLE orleans_membership_version (
            deploymentid text PRIMARY KEY,
            version      integer NOT NULL DEFAULT 0,
            changed_at   timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE orleans_membership (
            deploymentid text NOT NULL REFERENCES orleans_membership_version (deploymentid),
            address      text NOT NULL,
            port         integer NOT NULL,
            generation   integer NOT NULL,
            siloname     text NOT NULL,
            hostname     text NOT NULL,
            status       integer NOT NULL,
            proxyport    integer NOT NULL,
            suspecttimes text,
            starttime    timestamptz NOT NULL,
            iamalivetime timestamptz NOT NULL,
            PRIMARY KEY (deploymentid, address, port, generation)
        );
        """;

    private const string SiloRow = "m.deploymentid = @DeploymentId AND m.address = @Address AND m.port = @Port AND m.generation = @Generation";

    private const string MemberColumns = """
        v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
        m.siloname AS "SiloName", m.hostname AS "HostName", m.status AS "Status", m.proxyport AS "ProxyPort",
        m.suspecttimes AS "SuspectTimes", m.starttime AS "StartTime", m.iamalivetime AS "IAmAliveTime"
        """;

    // SiloStatus: 3 = Active, 6 = Dead.
    public static readonly IReadOnlyDictionary<string, string> Queries = new Dictionary<string, string>
    {
        ["InsertMembershipVersionKey"] = """
            WITH created AS (
                INSERT INTO orleans_membership_version (deploymentid) VALUES (@DeploymentId)
                ON CONFLICT (deploymentid) DO NOTHING RETURNING 1)
            SELECT count(*)::int FROM created
            """,
        ["MembershipReadRowKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deploymentid = v.deploymentid
                AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
            WHERE v.deploymentid = @DeploymentId
            """,
        ["MembershipReadAllKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deploymentid = v.deploymentid
            WHERE v.deploymentid = @DeploymentId
            """,
        ["InsertMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
                WHERE deploymentid = @DeploymentId AND version = @Version AND version < 2147483647
                  AND NOT EXISTS (SELECT 1 FROM orleans_membership m WHERE {SiloRow})
                RETURNING deploymentid),
            inserted AS (
                INSERT INTO orleans_membership (deploymentid, address, port, generation, siloname, hostname,
                                                status, proxyport, starttime, iamalivetime)
                SELECT deploymentid, @Address, @Port, @Generation, @SiloName, @HostName,
                       @Status, @ProxyPort, @StartTime, @IAmAliveTime
                FROM bumped
                ON CONFLICT DO NOTHING RETURNING 1)
            SELECT count(*)::int FROM inserted
            """,
        ["UpdateMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
                WHERE deploymentid = @DeploymentId AND version = @Version AND version < 2147483647
                  AND EXISTS (SELECT 1 FROM orleans_membership m WHERE {SiloRow})
                RETURNING deploymentid),
            updated AS (
                UPDATE orleans_membership m
                SET status = @Status, suspecttimes = @SuspectTimes, iamalivetime = GREATEST(m.iamalivetime, @IAmAliveTime)
                FROM bumped WHERE {SiloRow}
                RETURNING 1)
            SELECT count(*)::int FROM updated
            """,
        ["UpdateIAmAlivetimeKey"] = $"""
            UPDATE orleans_membership m SET iamalivetime = GREATEST(m.iamalivetime, @IAmAliveTime)
            WHERE {SiloRow}
            """,
        ["GatewaysQueryKey"] = """
            SELECT address AS "Address", proxyport AS "ProxyPort", generation AS "Generation"
            FROM orleans_membership
            WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0
            """,
        ["DeleteMembershipTableEntriesKey"] = """
            DELETE FROM orleans_membership WHERE deploymentid = @DeploymentId;
            DELETE FROM orleans_membership_version WHERE deploymentid = @DeploymentId;
            """,
        ["CleanupDefunctSiloEntriesKey"] = """
            DELETE FROM orleans_membership
            WHERE deploymentid = @DeploymentId AND status = 6
              AND iamalivetime < @IAmAliveTime AND starttime < @IAmAliveTime
              AND coalesce(suspecttimes, '') = ''
            """,
    };

    /// <summary>Writes named queries into <c>orleansquery</c>, the table every ADO.NET provider of Orleans reads.</summary>
    public static async Task UpsertQueriesAsync(NpgsqlConnection connection, IReadOnlyDictionary<string, string> queries, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var (key, text) in queries)
        {
            var command = new NpgsqlBatchCommand(
                "INSERT INTO orleansquery (querykey, querytext) VALUES ($1, $2) ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext");
            command.Parameters.AddWithValue(key);
            command.Parameters.AddWithValue(text);
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }
}
