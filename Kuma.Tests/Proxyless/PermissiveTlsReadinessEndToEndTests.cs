using System.Globalization;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Proxyless;

/// <summary>
/// Kuma's TLS readiness end to end in a PERMISSIVE mesh: a proxyless gRPC server (XdsServer, RBAC on) and client, each
/// with <c>kuma-proxyless-identity</c>. While a second backend dataplane holds no certificate, the service is not
/// ready: the client calls in plaintext and a MeshTrafficPermission denying it has no effect (no identity to check).
/// Once that dataplane is gone every backend dataplane holds a leaf: the client encrypts, the server requires mesh
/// mTLS, and the same permission now refuses the client by its SPIFFE id, until one allows it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PermissiveTlsReadinessEndToEndTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tls-ready-").FullName;
    private ControlPlane Cp => fixture.ControlPlane;

    private const string Mesh = """
        {"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"PERMISSIVE"}]}}
        """;

    private static string Workload(string name, string service, int port, string? state = null) => $$$"""
        {"type":"Dataplane","mesh":"m1","name":"{{{name}}}","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
         "inbound":[{"port":{{{port}}},{{{(state is null ? "" : $"\"state\":\"{state}\",")}}}"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc"}}]}}
        """;

    private static string Permission(string action) => """
        {"type":"MeshTrafficPermission","mesh":"m1","name":"web-to-backend","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
          "from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"action":"ACTION"}}]}}
        """.Replace("ACTION", action, StringComparison.Ordinal);

    [Fact]
    public async Task The_client_encrypts_once_every_backend_dataplane_holds_a_leaf_and_the_server_then_checks_its_identity()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("tls-ready-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", Mesh);
        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtrafficpermissions/web-to-backend", Permission("Deny"));
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-1", Workload("backend-1", "backend", port));
        // Registered, not serving (so no endpoint), and never issued a certificate: backend is not TLS ready.
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-2", Workload("backend-2", "backend", FreePort.Next(), state: "NotReady"));
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/web", Workload("web", "web", FreePort.Next()));

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

        // Plaintext: the denying permission cannot apply, the call goes through.
        await GrpcCalls.ConsecutiveAsync(client, 10, line => line["server"]?.GetValue<string>() == "backend-1");

        // backend-1 holds a leaf already, so removing backend-2 makes backend TLS ready in the same generation.
        Assert.True((await api.DeleteAsync("/meshes/m1/dataplanes/backend-2")).IsSuccessStatusCode);
        var denied = await GrpcCalls.ConsecutiveAsync(client, 5, line => line["error"]?.GetValue<int>() == 7);
        Assert.All(denied, line => Assert.Equal("Unauthorized RPC rejected", line["detail"]?.GetValue<string>()));

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtrafficpermissions/web-to-backend", Permission("Allow"));
        await GrpcCalls.ConsecutiveAsync(client, 10, line => line["server"]?.GetValue<string>() == "backend-1");
    }

    private async Task<HelperProcess> HelperAsync(HttpClient api, string name)
    {
        var token = Path.Combine(_root, $"{name}.token");
        await File.WriteAllTextAsync(token, await ControlPlane.DataplaneTokenAsync(api, "m1", name));
        var helper = HelperProcess.Start("--address", $"http://127.0.0.1:{Cp.DpPort}", "--mesh", "m1", "--name", name, "--token-file", token,
            "--dir", Path.Combine(_root, name), "--bootstrap-out", Bootstrap(name), "--poll-interval", "500ms", "--refresh-interval", "1s");
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(Bootstrap(name))), TimeSpan.FromSeconds(30), $"{name}'s files written; helper log: {helper.Log}");
        return helper;
    }

    private string Bootstrap(string name) => Path.Combine(_root, $"{name}-bootstrap.json");

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
