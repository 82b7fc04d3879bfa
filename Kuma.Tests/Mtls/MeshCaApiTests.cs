using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Ca;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Mtls;

/// <summary>CAs as the API shows them: created with the Mesh under Kuma's secret names, never replaced, one per tenant.</summary>
public sealed class MeshCaApiTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private const string BuiltinMesh = """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""";

    private static async Task<JsonNode?> Secret(HttpClient client, string mesh, string name)
    {
        var response = await client.GetAsync($"/meshes/{mesh}/secrets/{name}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    private static string Pem(JsonNode secret) => Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!.GetValue<string>()));

    private async Task<HttpClient> Tenant(string name) => Cp.NewClient(await Cp.CreateTenantAsync(name));

    [Fact]
    public async Task Creating_a_mesh_with_a_builtin_backend_stores_its_CA_as_two_secrets_under_Kumas_names()
    {
        var client = await Tenant("ca-create");
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh))).StatusCode);

        var cert = await Secret(client, "m1", "m1.ca-builtin-cert-ca-1");
        var key = await Secret(client, "m1", "m1.ca-builtin-key-ca-1");
        Assert.NotNull(cert);
        Assert.NotNull(key);
        using var ca = X509Certificate2.CreateFromPem(Pem(cert!), Pem(key!)); // throws unless the key is the certificate's
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.NotNull(ca.GetECDsaPrivateKey());
        Assert.Equal(["spiffe://m1"], TestCertificates.Uris(ca));
    }

    [Fact]
    public async Task A_CA_is_never_replaced_by_updates_nor_over_secrets_the_tenant_put_there()
    {
        var client = await Tenant("ca-keep");
        (await client.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh))).EnsureSuccessStatusCode();
        var before = await Secret(client, "m1", "m1.ca-builtin-cert-ca-1");
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh.Replace("}]}}", "}]},\"logging\":{}}")))).StatusCode);
        var after = await Secret(client, "m1", "m1.ca-builtin-cert-ca-1");
        Assert.Equal(before!["data"]!.GetValue<string>(), after!["data"]!.GetValue<string>());
        Assert.Equal(before["modificationTime"]!.GetValue<string>(), after["modificationTime"]!.GetValue<string>());

        // A backend added later gets its CA; one whose secrets the tenant provided keeps them.
        (await client.PutAsync("/meshes/m2", ControlPlane.Json("""{"type":"Mesh","name":"m2"}"""))).EnsureSuccessStatusCode();
        var (ownCert, ownKey) = TestCertificates.ProperCa();
        foreach (var (name, pem) in new[] { ("m2.ca-builtin-cert-mine", ownCert), ("m2.ca-builtin-key-mine", ownKey) })
            (await client.PutAsync($"/meshes/m2/secrets/{name}", ControlPlane.Json($$"""{"type":"Secret","mesh":"m2","name":"{{name}}","data":"{{TestCertificates.Base64(pem)}}"}"""))).EnsureSuccessStatusCode();
        var withBackends = """{"type":"Mesh","name":"m2","mtls":{"backends":[{"name":"mine","type":"builtin"}]}}""";
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/meshes/m2", ControlPlane.Json(withBackends))).StatusCode);
        Assert.Equal(ownCert, Pem((await Secret(client, "m2", "m2.ca-builtin-cert-mine"))!));
        Assert.Equal(ownKey, Pem((await Secret(client, "m2", "m2.ca-builtin-key-mine"))!));

        // A listed backend that is not enabled gets its CA too, as in Kuma.
        var other = """{"type":"Mesh","name":"m2","mtls":{"backends":[{"name":"other","type":"builtin","conf":{"caCert":{"RSAbits":2048}}}]}}""";
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/meshes/m2", ControlPlane.Json(other))).StatusCode);
        using var rsaCa = X509Certificate2.CreateFromPem(Pem((await Secret(client, "m2", "m2.ca-builtin-cert-other"))!));
        Assert.Equal(2048, rsaCa.GetRSAPublicKey()!.KeySize);
    }

    [Fact]
    public async Task Two_tenants_meshes_of_the_same_name_have_different_CAs()
    {
        var a = await Tenant("ca-tenant-a");
        var b = await Tenant("ca-tenant-b");
        (await a.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh))).EnsureSuccessStatusCode();
        (await b.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh))).EnsureSuccessStatusCode();
        var certA = Pem((await Secret(a, "m1", "m1.ca-builtin-cert-ca-1"))!);
        var certB = Pem((await Secret(b, "m1", "m1.ca-builtin-cert-ca-1"))!);
        Assert.NotEqual(certA, certB);
        Assert.NotEqual(Pem((await Secret(a, "m1", "m1.ca-builtin-key-ca-1"))!), Pem((await Secret(b, "m1", "m1.ca-builtin-key-ca-1"))!));
    }

    [Fact]
    public async Task A_provided_CA_is_checked_when_the_mesh_is_written()
    {
        var client = await Tenant("ca-provided");
        (await client.PutAsync("/meshes/m1", ControlPlane.Json("""{"type":"Mesh","name":"m1"}"""))).EnsureSuccessStatusCode();
        var (leafLike, leafKey) = TestCertificates.SelfSigned(isCa: false, usages: null);
        var (caCert, caKey) = TestCertificates.ProperCa();
        foreach (var (name, pem) in new[] { ("not-ca", leafLike), ("not-ca-key", leafKey), ("ca", caCert), ("ca-key", caKey) })
            (await client.PutAsync($"/meshes/m1/secrets/{name}", ControlPlane.Json($$"""{"type":"Secret","mesh":"m1","name":"{{name}}","data":"{{TestCertificates.Base64(pem)}}"}"""))).EnsureSuccessStatusCode();
        static string Mesh(string cert, string key) =>
            """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"p","backends":[{"name":"p","type":"provided","conf":{"cert":{"secret":"@C@"},"key":{"secret":"@K@"}}}]}}"""
                .Replace("@C@", cert, StringComparison.Ordinal).Replace("@K@", key, StringComparison.Ordinal);

        var refused = await client.PutAsync("/meshes/m1", ControlPlane.Json(Mesh("not-ca", "not-ca-key")));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var causes = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["causes"]!.AsArray()
            .Select(c => (c!["field"]!.GetValue<string>(), c["message"]!.GetValue<string>()));
        Assert.Equal([("mtls.backends[0].conf.cert[0]", CaCertificateChecks.NotCa), ("mtls.backends[0].conf.cert[0]", CaCertificateChecks.NoKeyCertSign)], causes);

        var mismatched = await client.PutAsync("/meshes/m1", ControlPlane.Json(Mesh("ca", "not-ca-key")));
        Assert.Contains("tls: private key does not match public key", await mismatched.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/meshes/m1", ControlPlane.Json(Mesh("ca", "ca-key")))).StatusCode);
        Assert.Null(await Secret(client, "m1", "m1.ca-builtin-cert-p")); // a provided backend's CA is the tenant's own

        var changed = await client.PutAsync("/meshes/m1", ControlPlane.Json(BuiltinMesh));
        Assert.Equal(HttpStatusCode.BadRequest, changed.StatusCode);
        // Changed expectation (Kuma forbids any change of the CA while mTLS is on): refused because p is dropped at once.
        var changedCauses = JsonNode.Parse(await changed.Content.ReadAsStringAsync())!["causes"]!.AsArray()
            .Select(c => (c!["field"]!.GetValue<string>(), c["message"]!.GetValue<string>()));
        Assert.Equal([("mtls.enabledBackend", MeshCaValidation.ChangeForbidden("p"))], changedCauses);
    }
}
