using Kuma.Configuration;
using Kuma.Silo;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Npgsql;

namespace Kuma.Tests.Postgres;

public sealed class SchemaTests
{
    [Fact]
    public async Task Migrating_concurrently_and_repeatedly_is_harmless()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("migrate");
        var store = new StoreOptions(StoreType.Postgres, database, AutoMigrate: true, Timeout: TimeSpan.FromSeconds(5));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ControlPlaneHost.MigrateAsync(store)));
        await ControlPlaneHost.MigrateAsync(store);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var steps = new NpgsqlCommand("SELECT count(*), count(DISTINCT version) FROM kuma_schema_migrations", connection);
        await using (var reader = await steps.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(reader.GetInt64(1), reader.GetInt64(0));
            Assert.True(reader.GetInt64(0) >= 2);
        }
        await using var queries = new NpgsqlCommand("SELECT querykey FROM orleansquery ORDER BY querykey", connection);
        var keys = new List<string>();
        await using (var reader = await queries.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
        }
        string[] required =
        [
            "CleanupDefunctSiloEntriesKey", "ClearStorageKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "InsertMembershipKey",
            "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "ReadFromStorageKey", "UpdateIAmAlivetimeKey",
            "UpdateMembershipKey", "WriteToStorageKey",
        ];
        Assert.Equal(required, keys);
    }

    [Fact]
    public async Task The_migrate_command_applies_the_schema_and_exits()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("cmd");
        // The control plane's own executable, copied beside the tests by the project reference.
        var dll = Path.Combine(AppContext.BaseDirectory, "Kuma.Silo.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [dll, "migrate"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KUMA_STORE_TYPE"] = "postgres";
        start.Environment["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync());
        Assert.Contains("schema is up to date", output, StringComparison.Ordinal);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT to_regclass('kuma_resources') IS NOT NULL AND to_regclass('orleans_membership') IS NOT NULL", connection);
        Assert.True((bool)(await cmd.ExecuteScalarAsync())!);
    }
}
