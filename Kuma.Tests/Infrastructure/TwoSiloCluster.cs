using Kuma.Testing;
using Npgsql;

namespace Kuma.Tests.Infrastructure;

/// <summary>Two silos of one cluster on one PostgreSQL database: one in this process, one a child process a test may kill.</summary>
public sealed class TwoSiloCluster : IAsyncDisposable
{
    private TwoSiloCluster(ControlPlane survivor, ControlPlaneProcess doomed)
    {
        Survivor = survivor;
        Doomed = doomed;
    }

    public ControlPlane Survivor { get; }
    public ControlPlaneProcess Doomed { get; }

    /// <summary>Starts both and returns once the membership table shows both active.</summary>
    public static async Task<TwoSiloCluster> StartAsync(string database, string clusterId, IDictionary<string, string>? extra = null)
    {
        var cluster = new Dictionary<string, string>(extra ?? new Dictionary<string, string>()) { ["KUMA_CLUSTER_ID"] = clusterId };
        var survivor = await ControlPlane.StartAsync(database, cluster);
        var doomed = await ControlPlaneProcess.StartAsync(new Dictionary<string, string>(cluster)
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
        });
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = $1 AND status = 3", connection);
        active.Parameters.AddWithValue(clusterId);
        await Eventually.HoldsAsync(async () => (long)(await active.ExecuteScalarAsync())! == 2, TimeSpan.FromSeconds(30), "both silos join");
        return new TwoSiloCluster(survivor, doomed);
    }

    public async ValueTask DisposeAsync()
    {
        await Doomed.DisposeAsync();
        await Survivor.DisposeAsync();
    }
}
