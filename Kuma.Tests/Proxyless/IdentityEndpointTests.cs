using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Gateway.Dp.Hub;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Mtls;
using Kuma.Tests.Tokens;
using Kuma.Xds.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Proxyless;

/// <summary>
/// <c>GET /proxyless/identity</c>: a proxyless workload's certificate, PKCS#8 key and mesh CA bundle, for its own
/// dataplane only, re-issued only when due or when the mesh's mTLS changed, however often it is polled.
/// </summary>
public sealed class IdentityEndpointTests(CertificateClockFixture fixture) : IClassFixture<CertificateClockFixture>
{
    private const string MtlsMesh = """{"type":"Mesh","name":"@M@","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"@DP@}]}}""";

    private ControlPlane Cp => fixture.ControlPlane;

    /// <summary>Mesh m1 (mTLS on) with dataplanes a and b, mesh m2 (mTLS on) with a, mesh plain (mTLS off) with a.</summary>
    private async Task<HttpClient> Tenant(string tenant)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(tenant));
        await GrpcCalls.PutAsync(client, "/meshes/m1", Mesh("m1"));
        await GrpcCalls.PutAsync(client, "/meshes/m2", Mesh("m2"));
        await GrpcCalls.PutAsync(client, "/meshes/plain", """{"type":"Mesh","name":"plain"}""");
        await GrpcCalls.PutAsync(client, "/meshes/m1/dataplanes/a", Samples.Dataplane("m1", "a", "a", "10.0.0.1", 8080));
        await GrpcCalls.PutAsync(client, "/meshes/m1/dataplanes/b", Samples.Dataplane("m1", "b", "b", "10.0.0.2", 8080));
        await GrpcCalls.PutAsync(client, "/meshes/m2/dataplanes/a", Samples.Dataplane("m2", "a", "a", "10.0.0.3", 8080));
        await GrpcCalls.PutAsync(client, "/meshes/plain/dataplanes/a", Samples.Dataplane("plain", "a", "a", "10.0.0.4", 8080));
        return client;
    }

    private static string Mesh(string name, string? dpCertExpiration = null) =>
        MtlsMesh.Replace("@M@", name).Replace("@DP@", dpCertExpiration is null ? "" : ""","dpCert":{"rotation":{"expiration":"@E@"}}""".Replace("@E@", dpCertExpiration));

    private static HttpClient Dp(string address) => new()
    {
        BaseAddress = new Uri(address),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static async Task<HttpResponseMessage> Ask(HttpClient dp, string? token, string mesh, string name, string? ifNoneMatch = null)
    {
        var request = H2(new HttpRequestMessage(HttpMethod.Get, $"/proxyless/identity?mesh={mesh}&name={name}"));
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await dp.SendAsync(request);
    }

    /// <summary>The plaintext DP port speaks HTTP/2 only (prior knowledge).</summary>
    private static HttpRequestMessage H2(HttpRequestMessage request)
    {
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return request;
    }

    private static async Task<JsonNode> Issued(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        var json = JsonNode.Parse(body)!;
        Assert.Equal($"\"{json["version"]!.GetValue<string>()}\"", response.Headers.ETag!.ToString());
        Assert.True(response.Headers.CacheControl!.NoStore);
        return json;
    }

    private static X509Certificate2 Leaf(JsonNode identity) =>
        X509Certificate2.CreateFromPem(identity["certificateChain"]!.GetValue<string>(), identity["privateKey"]!.GetValue<string>());

    private static async Task<string> CaPem(HttpClient tenant, string mesh) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(
            JsonNode.Parse(await tenant.GetStringAsync($"/meshes/{mesh}/secrets/{mesh}.ca-builtin-cert-ca-1"))!["data"]!.GetValue<string>()));

    private static async Task AssertRefused(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        var json = JsonNode.Parse(body)!;
        Assert.Equal((int)status, json["status"]!.GetValue<int>());
        Assert.Equal(detail, json["detail"]!.GetValue<string>());
        Assert.DoesNotContain("CERTIFICATE", body, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workload_gets_its_own_certificate_PKCS8_key_and_its_meshs_CA()
    {
        var tenant = await Tenant("pl-id-own");
        using var dp = Dp(fixture.DpAddress);
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a");
        var issuedAt = fixture.Clock.GetUtcNow();
        var identity = await Issued(await Ask(dp, token, "m1", "a"));

        Assert.Equal("m1", identity["mesh"]!.GetValue<string>());
        Assert.Equal("a", identity["name"]!.GetValue<string>());
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", identity["privateKey"]!.GetValue<string>(), StringComparison.Ordinal);
        var caPem = await CaPem(tenant, "m1");
        Assert.Equal(caPem, identity["caBundle"]!.GetValue<string>());
        using var leaf = Leaf(identity);
        Assert.True(leaf.HasPrivateKey);
        Assert.Empty(TestCertificates.ChainProblems(leaf, caPem, fixture.Clock.GetUtcNow()));
        Assert.Equal(["spiffe://m1/a", "kuma://kuma.io/protocol/http", "kuma://kuma.io/service/a"], TestCertificates.Uris(leaf));
        Assert.Equal(leaf.NotAfter.ToUniversalTime(), identity["notAfter"]!.GetValue<DateTime>().ToUniversalTime(), TimeSpan.FromSeconds(1));
        Assert.Equal(issuedAt.AddHours(24).UtcDateTime, leaf.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
        // Four fifths of the lifetime, as SDS renews.
        Assert.Equal(issuedAt.AddHours(24 * 4 / 5.0).UtcDateTime, identity["renewAt"]!.GetValue<DateTime>().ToUniversalTime(), TimeSpan.FromSeconds(1));

        // Another tenant's mesh of the same name has its own CA: the token's tenant decides whose identity this is.
        var other = await Tenant("pl-id-own-other");
        Assert.NotEqual(caPem, await CaPem(other, "m1"));
        Assert.NotEmpty(TestCertificates.ChainProblems(leaf, await CaPem(other, "m1"), fixture.Clock.GetUtcNow()));
    }

    [Fact]
    public async Task Polling_with_the_version_held_issues_nothing_until_renewal_is_due()
    {
        var tenant = await Tenant("pl-id-poll");
        using var dp = Dp(fixture.DpAddress);
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a");
        var first = await Issued(await Ask(dp, token, "m1", "a"));
        var etag = $"\"{first["version"]!.GetValue<string>()}\"";

        for (var i = 0; i < 3; i++)
        {
            using var unchanged = await Ask(dp, token, "m1", "a", etag);
            Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
            Assert.Equal(etag, unchanged.Headers.ETag!.ToString());
            Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        }
        // Asked without a version, it gets the same certificate and key again: nothing new was issued.
        var again = await Issued(await Ask(dp, token, "m1", "a"));
        Assert.Equal(first.ToJsonString(), again.ToJsonString());

        // Past four fifths of the lifetime, the next poll gets a new certificate with a new key.
        fixture.Clock.Advance(TimeSpan.FromHours(24 * 4 / 5.0) + TimeSpan.FromSeconds(1));
        var renewed = await Issued(await Ask(dp, token, "m1", "a", etag));
        Assert.NotEqual(first["version"]!.GetValue<string>(), renewed["version"]!.GetValue<string>());
        Assert.NotEqual(first["privateKey"]!.GetValue<string>(), renewed["privateKey"]!.GetValue<string>());
        using var leaf = Leaf(renewed);
        Assert.Empty(TestCertificates.ChainProblems(leaf, await CaPem(tenant, "m1"), fixture.Clock.GetUtcNow()));
        Assert.Equal(fixture.Clock.GetUtcNow().AddHours(24).UtcDateTime, leaf.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_change_of_the_meshs_mTLS_issues_a_new_certificate_at_the_next_poll()
    {
        var tenant = await Tenant("pl-id-mtls-change");
        using var dp = Dp(fixture.DpAddress);
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a");
        var first = await Issued(await Ask(dp, token, "m1", "a"));
        var etag = $"\"{first["version"]!.GetValue<string>()}\"";

        await GrpcCalls.PutAsync(tenant, "/meshes/m1", Mesh("m1", dpCertExpiration: "2h"));
        JsonNode? renewed = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await Ask(dp, token, "m1", "a", etag);
            if (response.StatusCode == HttpStatusCode.NotModified) return false;
            renewed = await Issued(response);
            return true;
        }, TimeSpan.FromSeconds(20), "a new certificate after the mesh's dpCert lifetime changed");
        using var leaf = Leaf(renewed!);
        Assert.Equal(fixture.Clock.GetUtcNow().AddHours(2).UtcDateTime, leaf.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Nobody_gets_an_identity_that_is_not_their_own()
    {
        var tenant = await Tenant("pl-id-others");
        using var dp = Dp(fixture.DpAddress);
        var tokenA = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a");

        await AssertRefused(await Ask(dp, tokenA, "m1", "b"), HttpStatusCode.Unauthorized, "node id 'm1.b' names dataplane 'b' but the token is for 'a'");
        await AssertRefused(await Ask(dp, tokenA, "m2", "a"), HttpStatusCode.Unauthorized, "node id 'm2.a' names mesh 'm2' but the token is for mesh 'm1'");
        await AssertRefused(await Ask(dp, null, "m1", "a"), HttpStatusCode.Unauthorized, "a dataplane token is required: send it as 'Authorization: Bearer <token>'");
        await AssertRefused(await Ask(dp, "not-a-token", "m1", "a"), HttpStatusCode.Unauthorized, "token is malformed");

        // The claims rewritten to name b, the signature left as it was.
        var parts = tokenA.Split('.');
        var claims = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!;
        claims["Name"] = "b";
        var forged = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
        using (var response = await Ask(dp, forged, "m1", "b"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain("CERTIFICATE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A token of another tenant's m1.a gets that tenant's identity, never this one's.
        var other = await Tenant("pl-id-others-2");
        var otherIdentity = await Issued(await Ask(dp, await ControlPlane.DataplaneTokenAsync(other, "m1", "a"), "m1", "a"));
        using (var otherLeaf = Leaf(otherIdentity))
            Assert.NotEmpty(TestCertificates.ChainProblems(otherLeaf, await CaPem(tenant, "m1"), fixture.Clock.GetUtcNow()));

        // Revoked: refused from the mesh's next snapshot on.
        var revoked = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "b");
        await Issued(await Ask(dp, revoked, "m1", "b"));
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/secrets/dataplane-token-revocations-m1",
            TokenClaimsReader.RevocationSecret("Secret", "dataplane-token-revocations-m1", "m1", TokenClaimsReader.Id(revoked)));
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await Ask(dp, revoked, "m1", "b");
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(20), "the revoked token refused");
        await AssertRefused(await Ask(dp, revoked, "m1", "b"), HttpStatusCode.Unauthorized, "token is revoked");
        // The mesh's other tokens keep working.
        await Issued(await Ask(dp, tokenA, "m1", "a"));
    }

    [Fact]
    public async Task No_mTLS_an_unknown_dataplane_and_bad_requests_are_told_apart()
    {
        var tenant = await Tenant("pl-id-refusals");
        using var dp = Dp(fixture.DpAddress);

        await AssertRefused(await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "plain", "a"), "plain", "a"), HttpStatusCode.Conflict,
            "mesh plain has mTLS disabled: there is no identity to issue (set mtls.enabledBackend)");
        await AssertRefused(await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "m1", "ghost"), "m1", "ghost"), HttpStatusCode.NotFound,
            "dataplane ghost of mesh m1 is not found");

        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a");
        using (var noMesh = await dp.SendAsync(H2(new HttpRequestMessage(HttpMethod.Get, "/proxyless/identity?name=a") { Headers = { { "Authorization", $"Bearer {token}" } } })))
            await AssertRefused(noMesh, HttpStatusCode.BadRequest, "query parameter 'mesh' is required, once");
        using (var twice = await dp.SendAsync(H2(new HttpRequestMessage(HttpMethod.Get, "/proxyless/identity?mesh=m1&name=a&name=b") { Headers = { { "Authorization", $"Bearer {token}" } } })))
            await AssertRefused(twice, HttpStatusCode.BadRequest, "query parameter 'name' is required, once");
        await AssertRefused(await Ask(dp, token, "m1", new string('x', 300)), HttpStatusCode.BadRequest, "query parameter 'name' is not a valid name");
    }

    [Fact]
    public async Task A_dataplane_without_a_service_gets_409_and_a_CA_that_cannot_sign_503()
    {
        var tenant = await Tenant("pl-id-no-identity");
        using var dp = Dp(fixture.DpAddress);
        // Transparent proxying and no inbound: a valid Dataplane with no service, hence no identity.
        await GrpcCalls.PutAsync(tenant, "/meshes/m1/dataplanes/tp", """
            {"type":"Dataplane","mesh":"m1","name":"tp","networking":{"address":"10.0.0.9","transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001}}}
            """);
        await AssertRefused(await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "m1", "tp"), "m1", "tp"), HttpStatusCode.Conflict,
            "dataplane tp has no inbound with a kuma.io/service tag: it has no identity");

        // A provided CA whose key secret is gone after the mesh was written.
        await GrpcCalls.PutAsync(tenant, "/meshes/prov", """{"type":"Mesh","name":"prov"}""");
        var (caCert, caKey) = TestCertificates.ProperCa();
        foreach (var (name, pem) in new[] { ("ca", caCert), ("ca-key", caKey) })
            await GrpcCalls.PutAsync(tenant, $"/meshes/prov/secrets/{name}", $$"""{"type":"Secret","mesh":"prov","name":"{{name}}","data":"{{TestCertificates.Base64(pem)}}"}""");
        await GrpcCalls.PutAsync(tenant, "/meshes/prov",
            """{"type":"Mesh","name":"prov","mtls":{"enabledBackend":"p","backends":[{"name":"p","type":"provided","conf":{"cert":{"secret":"ca"},"key":{"secret":"ca-key"}}}]}}""");
        await GrpcCalls.PutAsync(tenant, "/meshes/prov/dataplanes/a", Samples.Dataplane("prov", "a", "a", "10.0.0.5", 8080));
        (await tenant.DeleteAsync("/meshes/prov/secrets/ca-key")).EnsureSuccessStatusCode();
        using var unavailable = await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "prov", "a"), "prov", "a");
        await AssertRefused(unavailable, HttpStatusCode.ServiceUnavailable, "the CA of mesh prov cannot issue certificates now; try again shortly");
        Assert.Equal(TimeSpan.FromSeconds(2), unavailable.Headers.RetryAfter!.Delta);
    }

    [Fact]
    public async Task The_dataplanes_of_a_mesh_share_one_subscription_to_it()
    {
        var tenant = await Tenant("pl-id-shared");
        using var dp = Dp(fixture.DpAddress);
        await Issued(await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a"), "m1", "a"));
        await Issued(await Ask(dp, await ControlPlane.DataplaneTokenAsync(tenant, "m1", "b"), "m1", "b"));
        var hub = Cp.Services.GetRequiredService<MeshHub<MeshContext>>();
        Assert.Equal(1, hub.Subscribers("pl-id-shared", "m1"));
    }
}
