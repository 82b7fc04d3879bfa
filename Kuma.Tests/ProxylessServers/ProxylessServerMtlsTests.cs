using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Mtls;

namespace Kuma.Tests.ProxylessServers;

/// <summary>
/// Real processes end to end: a proxyless gRPC server (grpc-js-xds XdsServer, XdsServerCredentials, gRPC's RBAC
/// filter on) and two proxyless clients (XdsChannelCredentials) of different services, each with certificate files
/// signed by the mesh's provided CA. Without a permission both are refused; a MeshTrafficPermission lets one in over
/// mTLS and refuses the other; changing it flips them, with nothing restarted.
/// </summary>
public sealed class ProxylessServerMtlsTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>, IDisposable
{
    private const int PermissionDenied = 7;
    private const int Unavailable = 14;
    private static readonly string[] XdsV3 = ["xds_v3"];
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("pl-server-");
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task A_permission_lets_one_client_in_over_mtls_and_refuses_the_other_and_changing_it_flips_them()
    {
        using var api = Cp.NewClient(await Cp.CreateTenantAsync("pl-server-e2e"));
        await GrpcCalls.PutAsync(api, "/meshes/m1", """{"type":"Mesh","name":"m1"}""");
        var (caCert, caKey) = TestCertificates.ProperCa();
        foreach (var (name, pem) in new[] { ("ca", caCert), ("ca-key", caKey) })
            await GrpcCalls.PutAsync(api, $"/meshes/m1/secrets/{name}", $$"""{"type":"Secret","mesh":"m1","name":"{{name}}","data":"{{TestCertificates.Base64(pem)}}"}""");
        await GrpcCalls.PutAsync(api, "/meshes/m1", """
            {"type":"Mesh","name":"m1","mtls":{"enabledBackend":"p","backends":[{"name":"p","type":"provided","mode":"STRICT",
              "conf":{"cert":{"secret":"ca"},"key":{"secret":"ca-key"}}}]}}
            """);
        var port = FreePort.Next();
        await GrpcCalls.PutAsync(api, "/meshes/m1/dataplanes/backend-1", $$$"""
            {"type":"Dataplane","mesh":"m1","name":"backend-1","labels":{"kuma.io/proxy-type":"proxyless"},"networking":{"address":"127.0.0.1",
             "inbound":[{"port":{{{port}}},"tags":{"kuma.io/service":"backend","kuma.io/protocol":"grpc"}}]}}
            """);

        await using var server = NodeProcess.Start("server.js", [port.ToString(CultureInfo.InvariantCulture), "backend-1", "--xds"],
            Environment("backend-1", "backend", await ControlPlane.DataplaneTokenAsync(api, "m1", "backend-1"), caCert, caKey, server: true));
        var ready = await server.NextAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(port, ready["listening"]!.GetValue<int>());

        await using var web = Client("web", await ControlPlane.DataplaneTokenAsync(api, "m1", "web"), caCert, caKey);
        await using var other = Client("other", await ControlPlane.DataplaneTokenAsync(api, "m1", "other"), caCert, caKey);
        // With mTLS on and no permission, nobody is let in (as a sidecar's inbound).
        await GrpcCalls.ConsecutiveAsync(web, 10, Denied);
        await GrpcCalls.ConsecutiveAsync(other, 10, Denied);

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtrafficpermissions/backend-callers", Permission(allow: "web", deny: "other"));
        await GrpcCalls.ConsecutiveAsync(web, 10, Served);
        await GrpcCalls.ConsecutiveAsync(other, 10, Denied);
        // The allowed caller without XdsChannelCredentials speaks plaintext, which the server's mTLS chain refuses.
        var plainEnvironment = Environment("web-plaintext", "web", await ControlPlane.DataplaneTokenAsync(api, "m1", "web-plaintext"), caCert, caKey, server: false);
        await using (var plaintext = NodeProcess.Start("client.js", ["backend", "50", "2000"], plainEnvironment))
            await GrpcCalls.ConsecutiveAsync(plaintext, 5, line => line["error"]?.GetValue<int>() == Unavailable);

        await GrpcCalls.PutAsync(api, "/meshes/m1/meshtrafficpermissions/backend-callers", Permission(allow: "other", deny: "web"));
        await GrpcCalls.ConsecutiveAsync(web, 10, Denied);
        await GrpcCalls.ConsecutiveAsync(other, 10, Served);
    }

    private static bool Served(JsonNode line) => line["server"]?.GetValue<string>() == "backend-1";

    private static bool Denied(JsonNode line) => line["error"]?.GetValue<int>() == PermissionDenied;

    private static string Permission(string allow, string deny) => $$$"""
        {"type":"MeshTrafficPermission","mesh":"m1","name":"backend-callers","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
          "from":[{"targetRef":{"kind":"MeshService","name":"{{{allow}}}"},"default":{"action":"Allow"}},
                  {"targetRef":{"kind":"MeshService","name":"{{{deny}}}"},"default":{"action":"Deny"}}]}}
        """;

    private NodeProcess Client(string name, string token, string caCert, string caKey)
    {
        var environment = Environment(name, name, token, caCert, caKey, server: false);
        environment["XDS_CREDENTIALS"] = "1";
        return NodeProcess.Start("client.js", ["backend", "50", "2000"], environment);
    }

    /// <summary>
    /// The environment of a proxyless workload: its certificate files (a leaf for <c>spiffe://m1/&lt;service&gt;</c>
    /// signed by the mesh's CA) and a bootstrap naming them as the certificate providers the control plane refers to.
    /// </summary>
    private Dictionary<string, string> Environment(string name, string service, string token, string caCert, string caKey, bool server)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_files.FullName, name)).FullName;
        var (cert, key) = Leaf($"spiffe://m1/{service}", caCert, caKey);
        File.WriteAllText(Path.Combine(dir, "cert.pem"), cert);
        File.WriteAllText(Path.Combine(dir, "key.pem"), key);
        File.WriteAllText(Path.Combine(dir, "ca.pem"), caCert);
        var bootstrap = new JsonObject
        {
            ["xds_servers"] = JsonSerializer.SerializeToNode(new[]
            {
                new { server_uri = $"127.0.0.1:{Cp.DpPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = XdsV3 },
            }),
            ["node"] = JsonSerializer.SerializeToNode(new
            {
                id = $"m1.{name}",
                locality = new { zone = "default" },
                metadata = new Dictionary<string, string> { ["dataplane.token"] = token },
            }),
            ["certificate_providers"] = JsonSerializer.SerializeToNode(new Dictionary<string, object>
            {
                ["kuma-identity"] = new
                {
                    plugin_name = "file_watcher",
                    config = new { certificate_file = Path.Combine(dir, "cert.pem"), private_key_file = Path.Combine(dir, "key.pem"), refresh_interval = "60s" },
                },
                ["kuma-mesh-ca"] = new { plugin_name = "file_watcher", config = new { ca_certificate_file = Path.Combine(dir, "ca.pem"), refresh_interval = "60s" } },
            }),
        };
        if (server) bootstrap["server_listener_resource_name_template"] = "kuma/grpc/server?listening_address=%s";
        var environment = new Dictionary<string, string> { ["GRPC_XDS_BOOTSTRAP_CONFIG"] = bootstrap.ToJsonString() };
        if (server) environment["GRPC_XDS_EXPERIMENTAL_RBAC"] = "true";
        return environment;
    }

    /// <summary>A workload certificate (ECDSA P-256, PKCS#8 key) with one URI SAN, signed by the mesh's CA.</summary>
    private static (string CertPem, string KeyPem) Leaf(string spiffeId, string caCertPem, string caKeyPem)
    {
        using var ca = X509Certificate2.CreateFromPem(caCertPem, caKeyPem);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=workload", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var caKey = ca.GetRSAPrivateKey()!;
        var signer = X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1);
        using var leaf = request.Create(ca.SubjectName, signer, now.AddMinutes(-5), now.AddHours(1), RandomNumberGenerator.GetBytes(16));
        return (leaf.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => _files.Delete(recursive: true);
}
