using System.Diagnostics;
using Npgsql;

namespace Kuma.Testing;

/// <summary>
/// A real PostgreSQL for the tests: <c>KUMA_TEST_POSTGRES</c> (a connection string) when set, otherwise a
/// throw-away server started from the machine's own binaries (initdb, pg_ctl) on a free port. It lives
/// as long as the process; each user takes a database of its own. Tests share one server without fsync;
/// load runs start a durable one, as production would run.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync(durable: false));
    private const string FolderPrefix = "kuma-test-pg-";
    private readonly string _adminConnectionString;
    private readonly Func<Task>? _stop;
    private readonly Func<string, Task>? _pgCtl;
    private readonly string? _dataDirectory;

    private PostgresServer(string adminConnectionString, Func<Task>? stop = null, Func<string, Task>? pgCtl = null, string? dataDirectory = null)
    {
        _adminConnectionString = adminConnectionString;
        _stop = stop;
        _pgCtl = pgCtl;
        _dataDirectory = dataDirectory;
    }

    /// <summary>
    /// Stops every process of a server this process started (SIGSTOP), as a network black hole looks to
    /// its clients: connections stay open, nothing answers, new connections hang.
    /// </summary>
    public Task FreezeAsync() => SignalAll("STOP");

    /// <summary>Lets a server frozen by <see cref="FreezeAsync"/> go on where it stopped.</summary>
    public Task ThawAsync() => SignalAll("CONT");

    private async Task SignalAll(string signal)
    {
        if (_dataDirectory is null) throw new InvalidOperationException("only a server this process started can be frozen");
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var pids = new List<string> { postmaster.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var stat in Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var text = await File.ReadAllTextAsync(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == pids[0]) pids.Add(text[..text.IndexOf(' ')]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // a process that ended meanwhile, or not a process folder
            }
        }
        await Run("kill", [$"-{signal}", .. pids]);
    }

    /// <summary>Takes a server this process started down, keeping its data, to play a store outage (open connections are cut).</summary>
    public Task StopServingAsync() => Control("stop");

    /// <summary>Brings a server taken down by <see cref="StopServingAsync"/> back on the same port.</summary>
    public Task ResumeServingAsync() => Control("start");

    private Task Control(string action) =>
        _pgCtl?.Invoke(action) ?? throw new InvalidOperationException("only a server this process started can be stopped and restarted");

    /// <summary>Stops a server this process started (the shared one stops when the process exits).</summary>
    public Task StopAsync() => _stop?.Invoke() ?? Task.CompletedTask;

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <param name="password">When given, the server checks passwords (scram-sha-256) and this is the superuser's; otherwise it trusts every local connection.</param>
    public static async Task<PostgresServer> StartAsync(bool durable, string? password = null)
    {
        if (Environment.GetEnvironmentVariable("KUMA_TEST_POSTGRES") is { Length: > 0 } given && password is null) return new PostgresServer(given);

        var bin = FindBinaries();
        await StopAbandonedAsync(bin);
        var root = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        // initdb refuses to run as root; run the server as an unprivileged system user then.
        var runAs = RunAs();
        if (runAs is not null) await Run("chown", ["-R", runAs, root]);

        var port = FreePort.Next();
        string[] auth = ["--auth=trust"];
        if (password is not null)
        {
            var passwordFile = Path.Combine(root, "password");
            await File.WriteAllTextAsync(passwordFile, password + "\n");
            if (runAs is not null) await Run("chown", [runAs, passwordFile]);
            auth = ["--auth=scram-sha-256", $"--pwfile={passwordFile}"];
        }
        await Run(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", .. auth, "--no-sync", "-E", "UTF8"], runAs);
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"),
            $"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\nmax_connections = 300\n" +
            (durable ? "" : "fsync = off\n"));
        if (runAs is not null) await Run("chown", ["-R", runAs, root]);
        await Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], runAs);

        var stopped = 0;
        async Task Stop()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 1) return;
            try
            {
                await Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], runAs);
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // best effort: a later start reaps what is left (see StopAbandonedAsync)
            }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop().GetAwaiter().GetResult();
        Task PgCtl(string action) => action == "stop"
            ? Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"], runAs)
            : Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], runAs);
        var admin = new NpgsqlConnectionStringBuilder($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
        if (password is not null) admin.Password = password;
        return new PostgresServer(admin.ConnectionString, Stop, PgCtl, data);
    }

    /// <summary>
    /// A test host that is killed never runs its exit handlers, and its server lives on: stop the servers
    /// of processes that are gone. The owner's pid is part of the folder name.
    /// </summary>
    private static async Task StopAbandonedAsync(string bin)
    {
        foreach (var root in Directory.GetDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.GetFileName(root)[FolderPrefix.Length..].Split('-')[0];
            if (!int.TryParse(owner, out var pid) || pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                if (File.Exists(Path.Combine(root, "data", "postmaster.pid")))
                    await Run(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(root, "data"), "-m", "immediate", "stop"], RunAs());
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // another process may be reaping it at the same moment
            }
        }
    }

    private static string? RunAs() => Environment.UserName == "root" ? (Exists("postgres") ? "postgres" : "nobody") : null;

    private static string FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))
                : []);
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql; install them or set KUMA_TEST_POSTGRES");
    }

    private static bool Exists(string user) => File.ReadAllLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    private static async Task Run(string file, string[] args, string? runAs = null)
    {
        var start = runAs is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser", ["-u", runAs, "--", file]);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr} {await stdout}");
    }
}
