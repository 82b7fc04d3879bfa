namespace Kuma.Store.Postgres;

/// <summary>
/// The table and named queries behind Orleans' ADO.NET grain storage, written for this project from the
/// provider's contract. It loads the texts of <c>ReadFromStorageKey</c>, <c>WriteToStorageKey</c> and
/// <c>ClearStorageKey</c> from <c>orleansquery</c> and binds <c>@ServiceId</c>, <c>@GrainTypeString</c> (the state's
/// name), <c>@GrainIdN0</c>/<c>@GrainIdN1</c> (zero for string keys), <c>@GrainIdExtensionString</c> (the string key, or
/// a key's extension, or null), <c>@GrainStateVersion</c> (the ETag, null before the first write) and
/// <c>@PayloadBinary</c>; it also passes hashes of the key and type, which this table does not need since the natural
/// key is its primary key. A read answers columns <c>PayloadBinary</c> and <c>Version</c>; a write answers one row with
/// <c>NewGrainStateVersion</c>, null when the ETag no longer matches; a clear answers the new version in its first column.
/// Writes and clears always answer one row, as the provider takes a missing row for success.
/// </summary>
internal static class OrleansPersistenceSchema
{
    public const string Tables = """
        CREATE TABLE orleans_grain_state (
            serviceid   text NOT NULL,
            graintype   text NOT NULL,
            grainidn0   bigint NOT NULL,
            grainidn1   bigint NOT NULL,
            grainkey    text COLLATE "C" NOT NULL,
            payload     bytea,
            version     integer NOT NULL,
            modified_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (serviceid, graintype, grainidn0, grainidn1, grainkey)
        );
        """;

    private const string GrainRow = """
        serviceid = @ServiceId AND graintype = @GrainTypeString AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
          AND grainkey = coalesce(@GrainIdExtensionString::text, '')
        """;

    // Versions wrap instead of overflowing: the ETag only has to differ from the one before.
    private const string NextVersion = "CASE WHEN version = 2147483647 THEN 1 ELSE version + 1 END";

    public static readonly IReadOnlyDictionary<string, string> Queries = new Dictionary<string, string>
    {
        ["ReadFromStorageKey"] = $"""
            SELECT payload AS "PayloadBinary", version AS "Version"
            FROM orleans_grain_state
            WHERE {GrainRow}
            """,
        ["WriteToStorageKey"] = $"""
            WITH updated AS (
                UPDATE orleans_grain_state
                SET payload = @PayloadBinary, version = {NextVersion}, modified_at = now()
                WHERE {GrainRow} AND version = @GrainStateVersion::integer
                RETURNING version),
            inserted AS (
                INSERT INTO orleans_grain_state (serviceid, graintype, grainidn0, grainidn1, grainkey, payload, version)
                SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, coalesce(@GrainIdExtensionString::text, ''), @PayloadBinary, 1
                WHERE @GrainStateVersion::integer IS NULL
                ON CONFLICT DO NOTHING
                RETURNING version)
            SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted LIMIT 1) AS "NewGrainStateVersion"
            """,
        // The row stays (without payload) so that versions keep rising: a stale activation's ETag never matches again.
        ["ClearStorageKey"] = $"""
            WITH cleared AS (
                UPDATE orleans_grain_state
                SET payload = NULL, version = {NextVersion}, modified_at = now()
                WHERE {GrainRow} AND version = @GrainStateVersion::integer
                RETURNING version)
            SELECT (SELECT version FROM cleared) AS "Version"
            """,
    };
}
