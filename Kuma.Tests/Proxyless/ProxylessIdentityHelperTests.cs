using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Mtls;

namespace Kuma.Tests.Proxyless;

/// <summary>
/// <c>kuma-proxyless-identity</c> beside real proxyless gRPC processes: it writes the identity files and a bootstrap
/// that @grpc/grpc-js-xds takes, a client then calls a server over the mesh's mTLS, and when the control plane renews
/// the client's short-lived certificate the files change and the calls go on, with the new certificate.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProxylessIdentityHelperTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pl-identity-").FullName;

    private ControlPlane Cp => fixture.ControlPlane;

    private static string Mesh(string? dpCertExpiration) =>
        """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"@DP@}]}}"""
            .Replace("@DP@", dpCertExpiration is null ? "" : ""","dpCert":{"rotation":{"expiration":"@E@"}}""".Replace("@E@", dpCertExpiration));

    private Task<string> TokenFile(HttpClient tenant, string name) => ProxylessWorkloads.TokenFileAsync(tenant, "m1", name, _root);

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file));

    private static X509Certificate2 Leaf(string dir) => X509Certificate2.CreateFromPem(Read(dir, "cert.pem"), Read(dir, "key.pem"));

    private static string Serial(string hex) => hex.TrimStart('0').ToUpperInvariant();

    [Fact]
    public async Task The_helpers_files_and_bootstrap_carry_mTLS_calls_through_a_renewal()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("pl-helper-e2e"));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1", Mesh(null));
        var (backendPort, callerPort) = (FreePort.Next(), FreePort.Next());
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/dataplanes/backend-1", ProxylessWorkloads.Dataplane("m1", "backend-1", "backend", backendPort));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/dataplanes/caller", ProxylessWorkloads.Dataplane("m1", "caller", "caller", callerPort));
        var dp = $"http://127.0.0.1:{Cp.DpPort}";

        // The server's identity, written once (a day's certificate: the server does not reload its files).
        var backendDir = Path.Combine(_root, "backend");
        var (exit, log) = await HelperProcess.RunAsync("--address", dp, "--node-id", "m1.backend-1", "--token-file", await TokenFile(tenant, "backend-1"), "--dir", backendDir, "--once");
        Assert.True(exit == 0, log);
        var caPem = Read(backendDir, "ca.pem");
        using (var backendLeaf = Leaf(backendDir))
        {
            Assert.Empty(TestCertificates.ChainProblems(backendLeaf, caPem, DateTimeOffset.UtcNow));
            Assert.Contains("spiffe://m1/backend", TestCertificates.Uris(backendLeaf));
        }
        var keyFile = new FileInfo(Path.Combine(backendDir, "key.pem")).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", Read(backendDir, "key.pem"), StringComparison.Ordinal);

        // The caller's certificates live 20 s: renewed at 16 s.
        await GrpcCalls.PutAsync(tenant, "/meshes/m1", Mesh("20s"));
        var callerDir = Path.Combine(_root, "caller");
        var bootstrapFile = ProxylessWorkloads.Bootstrap(_root, "caller");
        using var helper = await ProxylessWorkloads.StartHelperAsync(dp, tenant, "m1", "caller", _root, "--zone", "z1");
        var callerToken = Path.Combine(_root, "caller.token");

        var expected = JsonNode.Parse($$$"""
            {"xds_servers":[{"server_uri":"127.0.0.1:{{{Cp.DpPort}}}","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
             "node":{"id":"m1.caller","metadata":{"dataplane.token":"{{{(await File.ReadAllTextAsync(callerToken)).Trim()}}}"},"locality":{"zone":"z1"}},
             "certificate_providers":{
               "kuma-identity":{"plugin_name":"file_watcher","config":{"certificate_file":"{{{callerDir}}}/cert.pem","private_key_file":"{{{callerDir}}}/key.pem","refresh_interval":"1s"}},
               "kuma-mesh-ca":{"plugin_name":"file_watcher","config":{"ca_certificate_file":"{{{callerDir}}}/ca.pem","refresh_interval":"1s"}} },
             "server_listener_resource_name_template":"kuma/grpc/server?listening_address=%s"}
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(await File.ReadAllTextAsync(bootstrapFile))), await File.ReadAllTextAsync(bootstrapFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bootstrapFile));
        string firstSerial;
        using (var first = Leaf(callerDir))
        {
            Assert.Empty(TestCertificates.ChainProblems(first, caPem, DateTimeOffset.UtcNow));
            Assert.Equal(DateTime.UtcNow.AddSeconds(20), first.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(5));
            firstSerial = Serial(first.SerialNumber);
        }

        await using var server = NodeProcess.Start("server.js", [backendPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "backend-1", "--tls", backendDir]);
        Assert.Equal(backendPort, (await server.NextAsync(TimeSpan.FromSeconds(20)))["listening"]!.GetValue<int>());
        await using var client = NodeProcess.Start("client.js", ["backend", "50", "2000"], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP"] = bootstrapFile,
            ["XDS_CREDENTIALS"] = "1",
        });

        // Calls go over mTLS with the first certificate, then (the file changed, the server's connections turned
        // over) with the renewed one, and none fails on the way.
        var lines = await client.ReadUntilAsync(line => line["server"] is not null, TimeSpan.FromSeconds(30));
        Assert.Equal($"backend-1/{firstSerial}", Answer(lines[^1]));
        lines = await client.ReadUntilAsync(line => line["server"] is not null && Answer(line) != $"backend-1/{firstSerial}", TimeSpan.FromSeconds(40));
        Assert.All(lines, line => Assert.Null(line["error"]));
        using var renewed = Leaf(callerDir);
        Assert.NotEqual(firstSerial, Serial(renewed.SerialNumber));
        Assert.Empty(TestCertificates.ChainProblems(renewed, caPem, DateTimeOffset.UtcNow));
        Assert.Equal($"backend-1/{Serial(renewed.SerialNumber)}", Answer(lines[^1]));
        // A few more seconds of calls on the renewed certificate, still without a failure.
        lines = await client.ReadUntilAsync(line => line["t"]!.GetValue<long>() > lines[^1]["t"]!.GetValue<long>() + 2000, TimeSpan.FromSeconds(20));
        Assert.All(lines, line => Assert.Null(line["error"]));
        Assert.Contains("wrote the identity of m1.caller", helper.Log, StringComparison.Ordinal);
        // The three names are links through ..data into the one version directory kept; older versions are gone.
        var entries = Directory.EnumerateFileSystemEntries(callerDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Single(entries, e => e!.StartsWith("..v-", StringComparison.Ordinal));
        Assert.Equal(["..data", "ca.pem", "cert.pem", "key.pem"], entries.Where(e => !e!.StartsWith("..v-", StringComparison.Ordinal)));
        Assert.Equal(Path.Combine("..data", "cert.pem"), new FileInfo(Path.Combine(callerDir, "cert.pem")).LinkTarget);
    }

    /// <summary>The server part of an answer with its serial normalised (Node may print leading zeros).</summary>
    private static string Answer(JsonNode line)
    {
        var text = line["server"]!.GetValue<string>();
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? text : text[..(slash + 1)] + Serial(text[(slash + 1)..]);
    }

    [Fact]
    public async Task Without_the_control_plane_or_with_a_refused_token_the_files_stay_and_the_log_says_why()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("pl-helper-refused"));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1", Mesh(null));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/dataplanes/w", ProxylessWorkloads.Dataplane("m1", "w", "w", FreePort.Next()));
        var dir = Path.Combine(_root, "w");
        var token = await TokenFile(tenant, "w");
        var (exit, log) = await HelperProcess.RunAsync("--address", $"http://127.0.0.1:{Cp.DpPort}", "--node-id", "m1.w", "--token-file", token, "--dir", dir, "--once");
        Assert.True(exit == 0, log);
        var written = Read(dir, "cert.pem");

        var closedPort = FreePort.Next();
        (exit, log) = await HelperProcess.RunAsync("--address", $"http://127.0.0.1:{closedPort}", "--node-id", "m1.w", "--token-file", token, "--dir", dir, "--once");
        Assert.Equal(1, exit);
        Assert.Contains($"warn control plane http://127.0.0.1:{closedPort}/ unreachable or answered badly", log, StringComparison.Ordinal);

        // Another dataplane's name with this token: refused, in the control plane's words.
        (exit, log) = await HelperProcess.RunAsync("--address", $"http://127.0.0.1:{Cp.DpPort}", "--node-id", "m1.other", "--token-file", token, "--dir", dir, "--once");
        Assert.Equal(1, exit);
        Assert.Contains("error control plane refused (401): node id 'm1.other' names dataplane 'other' but the token is for 'w'; no identity written yet", log, StringComparison.Ordinal);
        Assert.Equal(written, Read(dir, "cert.pem"));
    }

    [Fact]
    public async Task Bad_arguments_exit_2_naming_every_mistake()
    {
        var (exit, log) = await HelperProcess.RunAsync("--address", "ftp://x", "--mesh", "m1", "--dir", "/tmp/x", "--poll-interval", "1", "--what");
        Assert.Equal(2, exit);
        var errors = log.Split('\n').Where(l => l.StartsWith("kuma-proxyless-identity: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
        [
            "kuma-proxyless-identity: unknown argument '--what'",
            "kuma-proxyless-identity: --address 'ftp://x' must be http://host:port or https://host:port",
            "kuma-proxyless-identity: --name is required",
            "kuma-proxyless-identity: --token-file is required",
            "kuma-proxyless-identity: --poll-interval '1' must be a duration of at least 100ms such as 500ms, 5s or 1m",
        ], errors);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
