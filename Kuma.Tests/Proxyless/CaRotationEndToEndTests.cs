using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Mtls;

namespace Kuma.Tests.Proxyless;

/// <summary>
/// Issue 11's CA rotation, end to end: a proxyless gRPC server (XdsServer, STRICT mTLS, RBAC on) and a client, each
/// with <c>kuma-proxyless-identity</c> keeping its files, call in a loop while the mesh adds a second builtin CA and
/// enables it, and then drops the first. Every call of the loop succeeds; both workloads end on leaves of the new CA
/// and a bundle without the old one.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CaRotationEndToEndTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ca-rotation-").FullName;
    private ControlPlane Cp => fixture.ControlPlane;

    private static string Mesh(string enabled, params string[] backends)
    {
        var listed = string.Join(',', backends.Select(b => $"{{\"name\":\"{b}\",\"type\":\"builtin\"}}"));
        return $"{{\"type\":\"Mesh\",\"name\":\"m1\",\"mtls\":{{\"enabledBackend\":\"{enabled}\",\"backends\":[{listed}]}}}}";
    }

    [Fact]
    public async Task Calls_never_fail_while_the_mesh_moves_to_a_new_CA_and_drops_the_old_one()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("ca-rotation-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", Mesh("ca-1", "ca-1"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtrafficpermissions/web-to-backend", """
            {"type":"MeshTrafficPermission","mesh":"m1","name":"web-to-backend","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
              "from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"action":"Allow"}}]}}
            """);
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-1", ProxylessWorkloads.Dataplane("m1", "backend-1", "backend", port));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/web", ProxylessWorkloads.Dataplane("m1", "web", "web", FreePort.Next()));

        using var backendHelper = await HelperAsync(api, "backend-1");
        using var webHelper = await HelperAsync(api, "web");
        await using var server = NodeProcess.Start("server.js", [port.ToString(CultureInfo.InvariantCulture), "backend-1", "--xds"], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP"] = Bootstrap("backend-1"),
            ["GRPC_XDS_EXPERIMENTAL_RBAC"] = "true",
        });
        Assert.Equal(port, (await server.NextAsync(TimeSpan.FromSeconds(30)))["listening"]!.GetValue<int>());
        await using var client = NodeProcess.Start("client.js", ["backend", "50", "2000"], new Dictionary<string, string>
        {
            ["GRPC_XDS_BOOTSTRAP"] = Bootstrap("web"),
            ["XDS_CREDENTIALS"] = "1",
        });
        await GrpcCalls.ConsecutiveAsync(client, 10, line => line["server"]?.GetValue<string>() == "backend-1");
        var ca1 = await CaAsync(api, "ca-1");

        // From here on every call must succeed.
        await GrpcCalls.PutAsync(api, "/meshes/m1", Mesh("ca-2", "ca-1", "ca-2"));
        var ca2 = await CaAsync(api, "ca-2");
        await CallWithoutErrorsUntilAsync(client, () => LeafChainsTo("backend-1", ca2) && LeafChainsTo("web", ca2), backendHelper, webHelper);
        await CallWithoutErrorsUntilAsync(client, CallsAfter(40), backendHelper, webHelper);

        await GrpcCalls.PutAsync(api, "/meshes/m1", Mesh("ca-2", "ca-2"));
        await CallWithoutErrorsUntilAsync(client, () => !Bundle("backend-1").Contains(ca1, StringComparison.Ordinal) && !Bundle("web").Contains(ca1, StringComparison.Ordinal),
            backendHelper, webHelper);
        await CallWithoutErrorsUntilAsync(client, CallsAfter(40), backendHelper, webHelper);
        Assert.Contains(ca2.Trim(), Bundle("web"), StringComparison.Ordinal);
    }

    /// <summary>Reads the client's answers until <paramref name="done"/> holds, failing at the first call that did not succeed.</summary>
    private static async Task CallWithoutErrorsUntilAsync(NodeProcess client, Func<bool> done, HelperProcess backend, HelperProcess web)
    {
        await client.ReadUntilAsync(line =>
        {
            if (line["t"] is null) return false;
            Assert.True(line["error"] is null && line["server"]?.GetValue<string>() == "backend-1",
                $"a call failed during the rotation: {line.ToJsonString()}\nbackend helper: {backend.Log}\nweb helper: {web.Log}");
            return done();
        }, TimeSpan.FromSeconds(60));
    }

    private static Func<bool> CallsAfter(int count)
    {
        var seen = 0;
        return () => ++seen >= count;
    }

    private Task<HelperProcess> HelperAsync(HttpClient api, string name) =>
        ProxylessWorkloads.StartHelperAsync($"http://127.0.0.1:{Cp.DpPort}", api, "m1", name, _root);

    private string Bootstrap(string name) => ProxylessWorkloads.Bootstrap(_root, name);

    private string Bundle(string name) => File.ReadAllText(Path.Combine(_root, name, "ca.pem"));

    private bool LeafChainsTo(string name, string caPem)
    {
        var dir = Path.Combine(_root, name);
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, "cert.pem")));
        return TestCertificates.ChainProblems(leaf, caPem, DateTimeOffset.UtcNow).Length == 0;
    }

    /// <summary>The CA certificate of a builtin backend, from the secret the control plane keeps it in.</summary>
    private static async Task<string> CaAsync(HttpClient api, string backend)
    {
        var secret = JsonNode.Parse(await api.GetStringAsync($"/meshes/m1/secrets/m1.ca-builtin-cert-{backend}"))!;
        return Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!.GetValue<string>()));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
