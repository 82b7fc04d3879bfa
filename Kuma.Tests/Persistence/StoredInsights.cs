using Kuma.Grains;
using Npgsql;

namespace Kuma.Tests.Persistence;

/// <summary>Reads a session grain's row of <c>orleans_grain_state</c> as the control plane wrote it.</summary>
public static class StoredInsights
{
    /// <summary>The row's version (one per write since the row was made) and its insight; null when there is no row.</summary>
    public static async Task<(int Writes, StoredInsight Insight)?> ReadAsync(string database, string sessionKey)
    {
        // Unpooled: a test that restarts the server must not meet a connection the restart ended.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            "SELECT version, payload FROM orleans_grain_state WHERE graintype = 'dataplaneInsight' AND grainkey = $1", connection);
        read.Parameters.AddWithValue(sessionKey);
        await using var reader = await read.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        var insight = InsightStateSerializer.Instance.Deserialize<StoredInsight>(new BinaryData((byte[])reader.GetValue(1)));
        return (reader.GetInt32(0), insight);
    }
}
