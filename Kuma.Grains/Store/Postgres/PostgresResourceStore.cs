using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Kuma.Resources;
using Npgsql;
using NpgsqlTypes;

namespace Kuma.Store.Postgres;

/// <summary>Resources as rows of <c>kuma_resources</c>; listing is an indexed keyset query, never a scan of grain state.</summary>
public sealed class PostgresResourceStore(NpgsqlDataSource dataSource, TimeProvider clock) : IResourceStore
{
    private const string Columns = "tenant, type, mesh, name, spec::text, labels::text, version, creation_time, modification_time";
    private const string KeyMatch = "tenant = $1 AND type = $2 AND mesh = $3 AND name = $4";

    private const string BumpGeneration = """
        INSERT INTO kuma_generations (tenant, mesh, generation) VALUES (@gen_tenant, @gen_mesh, 1)
        ON CONFLICT (tenant, mesh) DO UPDATE SET generation = kuma_generations.generation + 1
        RETURNING generation
        """;

    public async Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM kuma_resources WHERE {KeyMatch}");
        AddKey(cmd.Parameters, key);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default)
    {
        var filter = new StringBuilder("tenant = @tenant AND type = @type");
        await using var batch = dataSource.CreateBatch();
        var page = new NpgsqlBatchCommand();
        var count = new NpgsqlBatchCommand();
        void Add(string name, object value, NpgsqlDbType? type = null)
        {
            foreach (var c in new[] { page, count })
            {
                var p = type is { } t ? new NpgsqlParameter(name, t) { Value = value } : new NpgsqlParameter(name, value);
                c.Parameters.Add(p);
            }
        }
        Add("tenant", query.Tenant);
        Add("type", query.Type);
        if (query.Mesh is not null)
        {
            filter.Append(" AND mesh = @mesh");
            Add("mesh", query.Mesh);
        }
        if (!string.IsNullOrEmpty(query.NameContains))
        {
            filter.Append(" AND strpos(name, @name) > 0");
            Add("name", query.NameContains);
        }
        if (query.Labels.Count > 0)
        {
            filter.Append(" AND labels @> @labels");
            Add("labels", JsonSerializer.Serialize(query.Labels), NpgsqlDbType.Jsonb);
        }
        var keyset = "";
        if (query.After is { } after)
        {
            keyset = " AND (mesh, name) > (@after_mesh, @after_name)";
            page.Parameters.AddWithValue("after_mesh", after.Mesh);
            page.Parameters.AddWithValue("after_name", after.Name);
        }
        page.CommandText = $"SELECT {Columns} FROM kuma_resources WHERE {filter}{keyset} ORDER BY mesh, name LIMIT {query.Size + 1}";
        count.CommandText = $"SELECT count(*) FROM kuma_resources WHERE {filter}";
        batch.BatchCommands.Add(page);
        batch.BatchCommands.Add(count);

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var items = new List<StoredResource>();
        while (await reader.ReadAsync(ct)) items.Add(Read(reader));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var total = reader.GetInt64(0);
        var hasMore = items.Count > query.Size;
        return new ResourcePage([.. items.Take(query.Size)], total, hasMore);
    }

    public async Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM kuma_resources WHERE tenant = $1 AND mesh = $2 ORDER BY type, name");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(mesh);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new List<StoredResource>();
        while (await reader.ReadAsync(ct)) result.Add(Read(reader));
        return result;
    }

    public async Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (quota is not null) await EnforceQuota(connection, tx, quota, writes, ct);
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var w in writes)
        {
            // A row only enters under a parent that exists (its mesh, or its tenant). KEY SHARE makes a
            // concurrent delete of that parent wait for this insert, and then take it along.
            var insert = new NpgsqlBatchCommand($"""
                INSERT INTO kuma_resources (tenant, type, mesh, name, spec, labels, version, creation_time, modification_time)
                SELECT $1, $2, $3, $4, $5::json, $6::jsonb, 1, $7, $7
                WHERE $8 OR EXISTS (SELECT 1 FROM kuma_resources p
                                    WHERE p.tenant = $9 AND p.type = $10 AND p.mesh = '' AND p.name = $11 FOR KEY SHARE)
                ON CONFLICT DO NOTHING RETURNING {Columns}
                """);
            AddKey(insert.Parameters, w.Key);
            insert.Parameters.AddWithValue(w.SpecJson);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(w.Labels));
            insert.Parameters.AddWithValue(now);
            var parent = Ownership.Parent(w.Key);
            insert.Parameters.AddWithValue(parent is null);
            insert.Parameters.AddWithValue(parent?.Tenant ?? "");
            insert.Parameters.AddWithValue(parent?.Type ?? "");
            insert.Parameters.AddWithValue(parent?.Name ?? "");
            batch.BatchCommands.Add(insert);
        }
        batch.BatchCommands.Add(GenerationCommand(generation));

        var created = new List<StoredResource>();
        long gen;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            for (var i = 0; i < writes.Count; i++)
            {
                if (!await reader.ReadAsync(ct))
                    throw new ResourceConflictException(writes[i].Key, "resource already exists, or its mesh or tenant does not");
                created.Add(Read(reader));
                await reader.NextResultAsync(ct);
            }
            await reader.ReadAsync(ct);
            gen = reader.GetInt64(0);
        }
        await Commit(tx, ct);
        return new StoreCommit(created, gen);
    }

    /// <summary>
    /// Quota-checked creates of one tenant take turns on its Tenant row. NO KEY UPDATE leaves the KEY SHARE
    /// that rows created under the tenant take on it free, so only quota-checked creates (and updates of the
    /// tenant itself) wait. The count is a separate statement: under READ COMMITTED it takes its snapshot after
    /// the lock is granted, so it sees every row the previous holder committed.
    /// </summary>
    private static async Task EnforceQuota(NpgsqlConnection connection, NpgsqlTransaction tx, Quota quota, IReadOnlyList<ResourceWrite> writes, CancellationToken ct)
    {
        var (tenant, adding) = QuotaUse.Of(quota, writes);
        if (adding == 0) return;
        await using var batch = new NpgsqlBatch(connection, tx);
        var lockTenant = new NpgsqlBatchCommand($"SELECT 1 FROM kuma_resources WHERE {KeyMatch} FOR NO KEY UPDATE");
        AddKey(lockTenant.Parameters, ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, tenant));
        var count = new NpgsqlBatchCommand("SELECT count(*) FROM kuma_resources WHERE tenant = $1 AND type = ANY($2)");
        count.Parameters.AddWithValue(tenant);
        count.Parameters.AddWithValue(quota.Types.ToArray());
        batch.BatchCommands.Add(lockTenant);
        batch.BatchCommands.Add(count);
        long held;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            held = reader.GetInt64(0);
        }
        // A missing Tenant row leaves nothing to lock; then no mesh of it exists either, and the parent check below refuses the rows.
        if (held + adding > quota.Limit) throw new QuotaExceededException(tenant, quota);
    }

    public async Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default)
    {
        // An explicit transaction whose COMMIT is sent only after the update's result came back: a
        // statement held at a stalled server then cannot commit on its own once the client gave up
        // (see FenceAsync), and a COMMIT that was sent holds the generation's row until it lands.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            WITH updated AS (
                UPDATE kuma_resources SET spec = @spec::json, labels = @labels::jsonb, version = version + 1, modification_time = @now
                WHERE tenant = @tenant AND type = @type AND mesh = @mesh AND name = @name AND version = @expected
                RETURNING {Columns}),
            bumped AS (
                {BumpGeneration.Replace("VALUES (@gen_tenant, @gen_mesh, 1)", "SELECT @gen_tenant, @gen_mesh, 1 WHERE EXISTS (SELECT 1 FROM updated)")})
            SELECT updated.*, bumped.generation FROM updated CROSS JOIN bumped
            """, connection, tx);
        AddNamedKey(cmd.Parameters, write.Key);
        cmd.Parameters.AddWithValue("spec", write.SpecJson);
        cmd.Parameters.AddWithValue("labels", JsonSerializer.Serialize(write.Labels));
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("expected", expectedVersion);
        AddGeneration(cmd.Parameters, generation);
        StoreCommit commit;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
                throw new ResourceConflictException(write.Key, "resource was changed or deleted meanwhile");
            commit = new StoreCommit([Read(reader)], reader.GetInt64(9));
        }
        await Commit(tx, ct);
        return commit;
    }

    public async Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var version = await LockVersion(connection, key, ct);
        if (version is null) return null;
        if (expectedVersion is { } v && v != version) throw new ResourceConflictException(key, "resource was changed meanwhile");
        await using var batch = new NpgsqlBatch(connection, tx);
        var delete = new NpgsqlBatchCommand($"DELETE FROM kuma_resources WHERE {KeyMatch}");
        AddKey(delete.Parameters, key);
        batch.BatchCommands.Add(delete);
        batch.BatchCommands.Add(GenerationCommand(generation));
        var gen = (long)(await batch.ExecuteScalarAsync(ct))!;
        await Commit(tx, ct);
        return gen;
    }

    public async Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default)
    {
        var meshKey = ResourceKey.Global(tenant, ResourceTypes.Mesh.Name, mesh);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var version = await LockVersion(connection, meshKey, ct);
        if (version is null) return null;
        if (expectedVersion is { } v && v != version) throw new ResourceConflictException(meshKey, "mesh was changed meanwhile");
        await using var batch = new NpgsqlBatch(connection, tx);
        var contents = new NpgsqlBatchCommand("DELETE FROM kuma_resources WHERE tenant = $1 AND mesh = $2");
        contents.Parameters.AddWithValue(tenant);
        contents.Parameters.AddWithValue(mesh);
        var meshRow = new NpgsqlBatchCommand($"DELETE FROM kuma_resources WHERE {KeyMatch}");
        AddKey(meshRow.Parameters, meshKey);
        batch.BatchCommands.Add(contents);
        batch.BatchCommands.Add(meshRow);
        batch.BatchCommands.Add(GenerationCommand(new Generation(tenant, mesh)));
        long gen = 0;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            do
            {
                if (await reader.ReadAsync(ct)) gen = reader.GetInt64(0);
            } while (await reader.NextResultAsync(ct));
        }
        await Commit(tx, ct);
        return gen;
    }

    public async Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default)
    {
        var tenantKey = ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, tenant);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var version = await LockVersion(connection, tenantKey, ct);
        if (version is null) return false;
        if (expectedVersion is { } v && v != version) throw new ResourceConflictException(tenantKey, "tenant was changed meanwhile");
        // Wait for inserts that already hold their mesh's row, so the deletes below (new snapshots) see them.
        await using (var lockMeshes = new NpgsqlCommand("SELECT 1 FROM kuma_resources WHERE tenant = $1 AND type = $2 AND mesh = '' FOR UPDATE", connection))
        {
            lockMeshes.Parameters.AddWithValue(tenant);
            lockMeshes.Parameters.AddWithValue(ResourceTypes.Mesh.Name);
            await lockMeshes.ExecuteNonQueryAsync(ct);
        }
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var sql in new[] { "DELETE FROM kuma_resources WHERE tenant = $1", "DELETE FROM kuma_generations WHERE tenant = $1" })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(tenant);
            batch.BatchCommands.Add(command);
        }
        var tenantRow = new NpgsqlBatchCommand($"DELETE FROM kuma_resources WHERE {KeyMatch}");
        AddKey(tenantRow.Parameters, tenantKey);
        batch.BatchCommands.Add(tenantRow);
        await batch.ExecuteNonQueryAsync(ct);
        await Commit(tx, ct);
        return true;
    }

    public async Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM kuma_resources WHERE tenant = $1 AND type = ANY($2)");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(types.ToArray());
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT generation FROM kuma_generations WHERE tenant = $1 AND mesh = $2");
        cmd.Parameters.AddWithValue(generation.Tenant);
        cmd.Parameters.AddWithValue(generation.Mesh);
        return await cmd.ExecuteScalarAsync(ct) is long g ? g : 0;
    }

    public async Task<long?> FenceAsync(Generation generation, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE kuma_generations SET generation = generation + 1 WHERE tenant = $1 AND mesh = $2 RETURNING generation");
        cmd.Parameters.AddWithValue(generation.Tenant);
        cmd.Parameters.AddWithValue(generation.Mesh);
        return await cmd.ExecuteScalarAsync(ct) is long g ? g : null;
    }

    /// <summary>
    /// Every write is a transaction whose COMMIT goes out only after its statements answered, so a
    /// failure before this point committed nothing (the server rolls back when the client leaves); only
    /// a COMMIT that got no answer leaves the outcome unknown.
    /// </summary>
    private static async Task Commit(NpgsqlTransaction tx, CancellationToken ct)
    {
        try
        {
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or OperationCanceledException or TimeoutException)
        {
            throw new CommitUnconfirmedException(e);
        }
    }

    private static async Task<long?> LockVersion(NpgsqlConnection connection, ResourceKey key, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT version FROM kuma_resources WHERE {KeyMatch} FOR UPDATE", connection);
        AddKey(cmd.Parameters, key);
        return await cmd.ExecuteScalarAsync(ct) is long v ? v : null;
    }

    private static NpgsqlBatchCommand GenerationCommand(Generation generation)
    {
        var command = new NpgsqlBatchCommand(BumpGeneration);
        AddGeneration(command.Parameters, generation);
        return command;
    }

    private static void AddGeneration(NpgsqlParameterCollection parameters, Generation generation)
    {
        parameters.AddWithValue("gen_tenant", generation.Tenant);
        parameters.AddWithValue("gen_mesh", generation.Mesh);
    }

    private static void AddKey(NpgsqlParameterCollection parameters, ResourceKey key)
    {
        parameters.AddWithValue(key.Tenant);
        parameters.AddWithValue(key.Type);
        parameters.AddWithValue(key.Mesh);
        parameters.AddWithValue(key.Name);
    }

    private static void AddNamedKey(NpgsqlParameterCollection parameters, ResourceKey key)
    {
        parameters.AddWithValue("tenant", key.Tenant);
        parameters.AddWithValue("type", key.Type);
        parameters.AddWithValue("mesh", key.Mesh);
        parameters.AddWithValue("name", key.Name);
    }

    private static StoredResource Read(DbDataReader reader) => new()
    {
        Key = new ResourceKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)),
        SpecJson = reader.GetString(4),
        Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(5))!.ToImmutableSortedDictionary(StringComparer.Ordinal),
        Version = reader.GetInt64(6),
        CreationTime = reader.GetFieldValue<DateTimeOffset>(7),
        ModificationTime = reader.GetFieldValue<DateTimeOffset>(8),
    };
}
