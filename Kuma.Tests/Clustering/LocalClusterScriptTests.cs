using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kuma.Tests.Infrastructure;
using Npgsql;

namespace Kuma.Tests.Clustering;

/// <summary>
/// scripts/local-cluster.sh as the README runs it (on the dlls of this build, with its own throwaway PostgreSQL): the
/// cluster forms (3 silos active in the membership table, both gateways serve the same data), and SIGTERM ends every
/// process it started, PostgreSQL included.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalClusterScriptTests
{
    [Fact]
    public async Task The_script_starts_three_silos_and_two_gateways_and_sigterm_stops_them_all()
    {
        var portBase = FreePortBlock();
        await using var script = LocalClusterScript.Start(Path.Combine(NodeProcess.RepositoryRoot(), "scripts", "local-cluster.sh"), new Dictionary<string, string>
        {
            ["KUMA_BIN"] = AppContext.BaseDirectory,
            ["PORT_BASE"] = portBase.ToString(CultureInfo.InvariantCulture),
            ["SILO_PORT_BASE"] = (portBase + 100).ToString(CultureInfo.InvariantCulture),
            ["SILO_GATEWAY_PORT_BASE"] = (portBase + 200).ToString(CultureInfo.InvariantCulture),
            ["PG_PORT"] = (portBase + 300).ToString(CultureInfo.InvariantCulture),
            ["KUMA_CLUSTER_ID"] = "local-script",
        });
        await script.WaitForLineAsync("cluster is up: 3 silos, 2 gateways (Ctrl-C stops them all)", TimeSpan.FromMinutes(3));

        var lines = script.Lines();
        var postgresLine = lines.Single(l => l.StartsWith("postgres: ", StringComparison.Ordinal));
        var database = postgresLine["postgres: ".Length..postgresLine.IndexOf(" (throwaway, in ", StringComparison.Ordinal)];
        var dataDirectory = postgresLine[(postgresLine.IndexOf(" (throwaway, in ", StringComparison.Ordinal) + " (throwaway, in ".Length)..^1];
        var logs = lines.Single(l => l.StartsWith("logs: ", StringComparison.Ordinal))["logs: ".Length..];
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        try
        {
            Assert.Equal(
                [$"silo-1", "silo-2", "silo-3", "gateway-1", "gateway-2"],
                lines.Where(l => l.StartsWith("silo-", StringComparison.Ordinal) || l.StartsWith("gateway-", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]));
            Assert.Equal(3, await ActiveSilosAsync(database, "local-script"));

            using var first = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portBase + 3}") };
            using var second = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portBase + 13}") };
            Assert.Equal(HttpStatusCode.Created, (await first.PutAsync("/meshes/edge", ControlPlane.Json("{}"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await second.PutAsync("/meshes/edge/dataplanes/dp", ControlPlane.Json(Samples.Dataplane("edge", "dp")))).StatusCode);
            var meshes = await first.GetStringAsync("/meshes");
            Assert.Contains("\"edge\"", meshes, StringComparison.Ordinal);
            Assert.Equal(meshes, await second.GetStringAsync("/meshes"));
            Assert.Equal(await first.GetStringAsync("/meshes/edge/dataplanes/dp"), await second.GetStringAsync("/meshes/edge/dataplanes/dp"));

            Assert.Equal(143, await script.TerminateAsync(TimeSpan.FromMinutes(1)));
            await Eventually.HoldsAsync(() => Task.FromResult(!script.GroupAlive()), TimeSpan.FromSeconds(10), "every process of the script's group ends with it");
            // pg_ctl stop returns once the server removed its pid file, a moment before the process is gone.
            await Eventually.HoldsAsync(() => Task.FromResult(!Directory.Exists($"/proc/{postmaster}")), TimeSpan.FromSeconds(10),
                $"the throwaway PostgreSQL (pid {postmaster}) ends with the script");
            Assert.False(Directory.Exists(dataDirectory), "the throwaway PostgreSQL's data is removed");
            Assert.Contains($"stopped; logs kept in {logs}", script.Errors(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists($"/proc/{postmaster}")) Process.GetProcessById(postmaster).Kill();
            Directory.Delete(Path.GetDirectoryName(logs)!, recursive: true);
        }
    }

    private static async Task<long> ActiveSilosAsync(string database, string clusterId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var active = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE deploymentid = $1 AND status = 3", connection);
        active.Parameters.AddWithValue(clusterId);
        return (long)(await active.ExecuteScalarAsync())!;
    }

    /// <summary>A base below the ephemeral range whose ports the script takes (five blocks of ten, Orleans' and PostgreSQL's) are all free now.</summary>
    private static int FreePortBlock()
    {
        int[] offsets = [.. Enumerable.Range(0, 5).SelectMany(k => Enumerable.Range(10 * k, 5)), 100, 101, 102, 200, 201, 202, 300];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = 20000 + 400 * Random.Shared.Next(0, 25);
            if (offsets.All(o => IsFree(candidate + o))) return candidate;
        }
        throw new InvalidOperationException("no free block of ports between 20000 and 30000");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
