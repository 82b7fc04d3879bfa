using Kuma.Grains;
using Npgsql;

namespace Kuma.Store.Postgres;

/// <summary>Leases as rows of <c>kuma_self_registered</c>; the sweep reads them through the index on the deadline.</summary>
public sealed class PostgresSelfRegisteredLeaseStore(NpgsqlDataSource dataSource) : ISelfRegisteredLeaseStore
{
    public const string Table = """
        CREATE TABLE kuma_self_registered (
            tenant       text COLLATE "C" NOT NULL,
            mesh         text COLLATE "C" NOT NULL,
            name         text COLLATE "C" NOT NULL,
            session      uuid NOT NULL,
            delete_after timestamptz NOT NULL,
            PRIMARY KEY (tenant, mesh, name)
        );
        CREATE INDEX kuma_self_registered_due ON kuma_self_registered (delete_after);
        """;

    private const string Columns = "tenant, mesh, name, session, delete_after";

    public async Task HoldAsync(SelfRegisteredLease lease, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            INSERT INTO kuma_self_registered ({Columns}) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant, mesh, name) DO UPDATE SET session = EXCLUDED.session, delete_after = EXCLUDED.delete_after
            """);
        cmd.Parameters.AddWithValue(lease.Tenant);
        cmd.Parameters.AddWithValue(lease.Mesh);
        cmd.Parameters.AddWithValue(lease.Name);
        cmd.Parameters.AddWithValue(lease.Session);
        cmd.Parameters.AddWithValue(lease.DeleteAfter.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task ExtendAsync(IReadOnlyCollection<LeaseHolder> holders, DateTimeOffset deleteAfter, CancellationToken ct = default)
    {
        if (holders.Count == 0) return;
        // One statement for a gateway's whole batch: the rows to touch come in as parallel arrays.
        await using var cmd = dataSource.CreateCommand("""
            UPDATE kuma_self_registered s SET delete_after = $5
            FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) AS h(tenant, mesh, name, session)
            WHERE s.tenant = h.tenant AND s.mesh = h.mesh AND s.name = h.name AND s.session = h.session
            """);
        cmd.Parameters.AddWithValue(holders.Select(h => h.Tenant).ToArray());
        cmd.Parameters.AddWithValue(holders.Select(h => h.Mesh).ToArray());
        cmd.Parameters.AddWithValue(holders.Select(h => h.Name).ToArray());
        cmd.Parameters.AddWithValue(holders.Select(h => h.Session).ToArray());
        cmd.Parameters.AddWithValue(deleteAfter.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<SelfRegisteredLease?> GetAsync(string tenant, string mesh, string name, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM kuma_self_registered WHERE tenant = $1 AND mesh = $2 AND name = $3");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(mesh);
        cmd.Parameters.AddWithValue(name);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<SelfRegisteredLease>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM kuma_self_registered WHERE delete_after <= $1 ORDER BY delete_after LIMIT $2");
        cmd.Parameters.AddWithValue(now.ToUniversalTime());
        cmd.Parameters.AddWithValue(limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var due = new List<SelfRegisteredLease>();
        while (await reader.ReadAsync(ct)) due.Add(Read(reader));
        return due;
    }

    public async Task ForgetAsync(LeaseHolder holder, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM kuma_self_registered WHERE tenant = $1 AND mesh = $2 AND name = $3 AND session = $4");
        cmd.Parameters.AddWithValue(holder.Tenant);
        cmd.Parameters.AddWithValue(holder.Mesh);
        cmd.Parameters.AddWithValue(holder.Name);
        cmd.Parameters.AddWithValue(holder.Session);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static SelfRegisteredLease Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetFieldValue<DateTimeOffset>(4));
}
