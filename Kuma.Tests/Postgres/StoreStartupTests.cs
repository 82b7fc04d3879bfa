using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Kuma.Configuration;
using Kuma.Gateway.Hosting;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Npgsql;

namespace Kuma.Tests.Postgres;

/// <summary>
/// Start-up against a store that is not there yet (slower tier: each test runs control planes as processes
/// of their own). A silo waits for PostgreSQL instead of exiting into a crash loop; what waiting cannot fix
/// ends the process at once with one line.
/// </summary>
public sealed partial class StoreStartupTests
{
    [Fact]
    public async Task A_silo_started_while_postgres_is_down_waits_and_serves_once_it_is_up()
    {
        var server = await PostgresServer.StartAsync(durable: false); // its own server: this test takes it down
        try
        {
            var database = await server.CreateDatabaseAsync("startup");
            await server.StopServingAsync();

            var lines = new ConcurrentQueue<string>();
            await using var cp = ControlPlaneProcess.Launch(new Dictionary<string, string>
            {
                ["KUMA_STORE_TYPE"] = "postgres",
                ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
                ["KUMA_STORE_POSTGRES_STARTUP_RETRY_MAX_DELAY"] = "2s",
            }, lines.Enqueue);

            // Four attempts with back-off are several seconds of waiting; the process used to exit after the first.
            await Eventually.HoldsAsync(() => Task.FromResult(cp.Child.HasExited || lines.Count(IsWaitingLine) >= 4),
                TimeSpan.FromSeconds(60), "the control plane logs that it waits for PostgreSQL");
            Assert.False(cp.Child.HasExited, $"the control plane exited while the store was down:\n{string.Join('\n', lines)}");
            Assert.DoesNotContain(lines, IsStackFrame);
            var port = new NpgsqlConnectionStringBuilder(database).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"127.0.0.1:{port}", lines.First(IsWaitingLine), StringComparison.Ordinal);

            await server.ResumeServingAsync();
            await cp.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            using var admin = new HttpClient { BaseAddress = new Uri(cp.ApiAddress) };
            var created = await admin.PutAsync("/tenants/after-outage", ControlPlane.Json("{}"));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task Sigterm_ends_the_wait_for_postgres_promptly_with_exit_code_0()
    {
        var lines = new ConcurrentQueue<string>();
        await using var cp = ControlPlaneProcess.Launch(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), // nothing listens there
            ["KUMA_STORE_POSTGRES_STARTUP_RETRY_MAX_DELAY"] = "1m", // the wait, not the back-off, must end it
        }, lines.Enqueue);
        await Eventually.HoldsAsync(() => Task.FromResult(cp.Child.HasExited || lines.Count(IsWaitingLine) >= 3),
            TimeSpan.FromSeconds(60), "the control plane waits for PostgreSQL");
        Assert.False(cp.Child.HasExited, string.Join('\n', lines));

        var stopping = Stopwatch.StartNew();
        cp.Child.Signal("TERM");
        var exit = cp.Child.ExitAsync();
        Assert.True(exit == await Task.WhenAny(exit, Task.Delay(TimeSpan.FromSeconds(20))), "still running 20 s after SIGTERM");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"took {stopping.Elapsed} to stop");
        Assert.Equal(0, await exit);
        Assert.DoesNotContain(lines, IsStackFrame);
    }

    [Fact]
    public async Task A_wrong_password_or_a_missing_database_ends_the_silo_at_once_with_one_line()
    {
        var server = await PostgresServer.StartAsync(durable: false, password: "right-password");
        try
        {
            var database = await server.CreateDatabaseAsync("startup_auth");
            var wrongPassword = new NpgsqlConnectionStringBuilder(database) { Password = "wrong-password" }.ConnectionString;
            var missingDatabase = new NpgsqlConnectionStringBuilder(database) { Database = "no_such_database" }.ConnectionString;

            var results = await Task.WhenAll(RunUntilExitAsync(wrongPassword), RunUntilExitAsync(missingDatabase));

            foreach (var (exitCode, elapsed, lines) in results)
            {
                var output = string.Join('\n', lines);
                Assert.NotEqual(0, exitCode);
                Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed} to give up:\n{output}");
                Assert.DoesNotContain(lines, IsStackFrame);
                Assert.DoesNotContain(lines, IsWaitingLine);
                Assert.Single(lines, l => l.Contains("PostgreSQL", StringComparison.Ordinal));
            }
            Assert.Contains(results[0].Lines, l => l.Contains("28P01", StringComparison.Ordinal));
            Assert.Contains(results[1].Lines, l => l.Contains("3D000", StringComparison.Ordinal));
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_standalone_gateway_started_before_any_silo_waits_for_one_and_then_serves()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("gateway_first");
        var cluster = new Dictionary<string, string> { ["KUMA_CLUSTER_ID"] = "gateway-first" };
        var gatewayPort = FreePort.Next();
        var starting = GatewayHost.StartAsync(new KumaSettings(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = database,
            ["KUMA_STORE_POSTGRES_AUTO_MIGRATE"] = "false",
            ["KUMA_STORE_POSTGRES_STARTUP_RETRY_MAX_DELAY"] = "2s",
            ["KUMA_CLUSTER_ID"] = "gateway-first",
            ["KUMA_API_SERVER_HTTP_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_API_SERVER_HTTPS_ENABLED"] = "false",
            ["KUMA_DP_SERVER_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KUMA_DIAGNOSTICS_SERVER_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), []);
        // No silo (not even the membership table yet): the gateway keeps trying instead of failing its start.
        Assert.NotSame(starting, await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(5))));

        await using var silo = await ControlPlane.StartAsync(database, cluster);
        var finished = await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == starting, "the gateway did not connect within 60 s of the silo starting");
        await using var gateway = await starting;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };
        var created = await client.PutAsync("/meshes/edge", ControlPlane.Json("{}"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
    }

    private static async Task<(int ExitCode, TimeSpan Elapsed, List<string> Lines)> RunUntilExitAsync(string connectionString)
    {
        var lines = new ConcurrentQueue<string>();
        var started = Stopwatch.StartNew();
        await using var cp = ControlPlaneProcess.Launch(new Dictionary<string, string>
        {
            ["KUMA_STORE_TYPE"] = "postgres",
            ["KUMA_STORE_POSTGRES_CONNECTION_STRING"] = connectionString,
        }, lines.Enqueue);
        var exit = cp.Child.ExitAsync();
        var finished = await Task.WhenAny(exit, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == exit, $"still running after 60 s:\n{string.Join('\n', lines)}");
        return (await exit, started.Elapsed, [.. lines]);
    }

    private static bool IsWaitingLine(string line) => line.Contains("Waiting for PostgreSQL", StringComparison.Ordinal);

    private static bool IsStackFrame(string line) => StackFrame().IsMatch(line);

    [GeneratedRegex(@"^\s+at \S+\(|^\s*---> |Unhandled exception")]
    private static partial Regex StackFrame();
}
