using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Kuma.Tests.Mtls;

/// <summary>A plaintext DP server whose certificates run on a clock the test moves.</summary>
public sealed class CertificateClockFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    public ControlPlane ControlPlane { get; private set; } = null!;
    public string DpAddress => $"http://127.0.0.1:{ControlPlane.DpPort}";

    public async Task InitializeAsync() =>
        ControlPlane = await ControlPlane.StartAsync(
            extra: new Dictionary<string, string> { ["KUMA_DP_SERVER_TLS_ENABLED"] = "false" },
            configureServices: services => services.Replace(ServiceDescriptor.Singleton(new CertificateClock(Clock))));

    public async Task DisposeAsync() => await ControlPlane.DisposeAsync();
}

/// <summary>
/// Certificates over SDS on the ADS stream: a proxy gets its own certificate and its mesh's CA by Kuma's names and
/// nothing else, whatever it asks for; renewal arrives on the live stream.
/// </summary>
public sealed class SdsStreamTests(CertificateClockFixture fixture) : IClassFixture<CertificateClockFixture>
{
    private const string MtlsMesh = """{"type":"Mesh","name":"@M@","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""";
    private static readonly string[] OwnNames = ["identity_cert:secret:m1", "mesh_ca:secret:m1"];

    private ControlPlane Cp => fixture.ControlPlane;

    /// <summary>A tenant with mesh m1 (mTLS on) holding dataplanes a (service a) and b (service b), and a plain mesh m2.</summary>
    private async Task<HttpClient> TenantWithMeshes(string tenant)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(tenant));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json(MtlsMesh.Replace("@M@", "m1")))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m2", ControlPlane.Json(MtlsMesh.Replace("@M@", "m2")))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m1/dataplanes/a", ControlPlane.Json(Samples.Dataplane("m1", "a", "a", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m1/dataplanes/b", ControlPlane.Json(Samples.Dataplane("m1", "b", "b", "10.0.0.2", 8080)))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m2/dataplanes/a", ControlPlane.Json(Samples.Dataplane("m2", "a", "a", "10.0.0.3", 8080)))).EnsureSuccessStatusCode();
        return client;
    }

    private async Task<AdsClient> Connect(HttpClient tenant, string mesh, string name, string? nodeId = null) =>
        new(fixture.DpAddress, nodeId ?? $"{mesh}.{name}", await ControlPlane.DataplaneTokenAsync(tenant, mesh, name));

    private static async Task<string> CaPem(HttpClient tenant, string mesh, string backend = "ca-1") =>
        Encoding.UTF8.GetString(Convert.FromBase64String(
            JsonNode.Parse(await tenant.GetStringAsync($"/meshes/{mesh}/secrets/{mesh}.ca-builtin-cert-{backend}"))!["data"]!.GetValue<string>()));

    private static Dictionary<string, Secret> Secrets(DiscoveryResponse response) =>
        response.Resources.Select(r => r.Unpack<Secret>()).ToDictionary(s => s.Name);

    /// <summary>The leaf of an identity secret, with its private key attached (which fails unless the key is the leaf's).</summary>
    private static X509Certificate2 Leaf(Secret identity) =>
        X509Certificate2.CreateFromPem(identity.TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8(), identity.TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8());

    [Fact]
    public async Task A_proxy_gets_its_own_certificate_and_its_meshs_CA_by_Kumas_names()
    {
        var tenant = await TenantWithMeshes("sds-own");
        await using var ads = await Connect(tenant, "m1", "a");
        await ads.SendAsync(TypeUrls.Secret, OwnNames);
        var response = await ads.NextOfTypeAsync(TypeUrls.Secret);
        var secrets = Secrets(response);
        Assert.Equal(OwnNames, secrets.Keys.Order(StringComparer.Ordinal));

        var caPem = await CaPem(tenant, "m1");
        Assert.Equal(caPem, secrets["mesh_ca:secret:m1"].ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        using var leaf = Leaf(secrets["identity_cert:secret:m1"]);
        Assert.True(leaf.HasPrivateKey);
        Assert.Empty(TestCertificates.ChainProblems(leaf, caPem, fixture.Clock.GetUtcNow()));
        Assert.Equal(["spiffe://m1/a", "kuma://kuma.io/protocol/http", "kuma://kuma.io/service/a"], TestCertificates.Uris(leaf));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement,
            leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal(fixture.Clock.GetUtcNow().AddHours(24).UtcDateTime, leaf.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Names_of_others_and_wildcards_get_nothing_and_the_stream_lives_on()
    {
        var tenant = await TenantWithMeshes("sds-others");
        await using var ads = await Connect(tenant, "m1", "a");
        string[] others =
        [
            "identity_cert:secret:m2", "mesh_ca:secret:m2", "identity_cert:secret:m1.b", "identity_cert:secret:b", "*", "",
            "m1.ca-builtin-key-ca-1", "m1.ca-builtin-cert-ca-1", "identity_cert:secret:m1/../m2", "IDENTITY_CERT:SECRET:M1",
        ];
        await ads.SendAsync(TypeUrls.Secret, others);
        var first = await ads.NextOfTypeAsync(TypeUrls.Secret);
        Assert.Empty(first.Resources);

        // The same stream, asking for its own names, gets them: nothing above broke it.
        await ads.SendAsync(TypeUrls.Secret, [.. others, .. OwnNames], first.VersionInfo, first.Nonce);
        var own = await ads.NextOfTypeAsync(TypeUrls.Secret);
        Assert.Equal(OwnNames, Secrets(own).Keys.Order(StringComparer.Ordinal));
        using var leaf = Leaf(Secrets(own)["identity_cert:secret:m1"]);
        Assert.DoesNotContain(TestCertificates.Uris(leaf), u => u.Contains("/b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delta_wildcard_and_foreign_names_get_no_secret()
    {
        var tenant = await TenantWithMeshes("sds-delta");
        await using var ads = new DeltaAdsClient(fixture.DpAddress, "m1.a", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "a"));
        await ads.SendAsync(TypeUrls.Secret, ["*", "identity_cert:secret:m2"]);
        var answer = await ads.NextAsync();
        Assert.Empty(answer.Resources);
        Assert.Equal(["identity_cert:secret:m2"], answer.RemovedResources);
        await ads.AckAsync(answer);

        await ads.SendAsync(TypeUrls.Secret, OwnNames);
        var own = await ads.NextAsync();
        Assert.Equal(OwnNames, own.Resources.Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Tokens_of_other_proxies_meshes_and_tenants_never_reach_these_certificates()
    {
        var tenant = await TenantWithMeshes("sds-iso-a");
        var other = await TenantWithMeshes("sds-iso-b");

        // a's token with b's node id is refused before anything is served.
        await using (var impostor = await Connect(tenant, "m1", "a", nodeId: "m1.b"))
        {
            await impostor.SendAsync(TypeUrls.Secret, ["identity_cert:secret:m1"]);
            Assert.Equal(StatusCode.Unauthenticated, await impostor.StatusAsync());
        }

        async Task<(string Ca, List<string> Uris, byte[] Key)> Identity(HttpClient owner, string mesh, string name)
        {
            await using var ads = await Connect(owner, mesh, name);
            await ads.SendAsync(TypeUrls.Secret, [$"identity_cert:secret:{mesh}", $"mesh_ca:secret:{mesh}", .. OwnNames]);
            var secrets = Secrets(await ads.NextOfTypeAsync(TypeUrls.Secret));
            Assert.Equal([$"identity_cert:secret:{mesh}", $"mesh_ca:secret:{mesh}"], secrets.Keys.Order(StringComparer.Ordinal));
            using var leaf = Leaf(secrets[$"identity_cert:secret:{mesh}"]);
            return (secrets[$"mesh_ca:secret:{mesh}"].ValidationContext.TrustedCa.InlineBytes.ToStringUtf8(), TestCertificates.Uris(leaf),
                secrets[$"identity_cert:secret:{mesh}"].TlsCertificate.PrivateKey.InlineBytes.ToByteArray());
        }

        var a = await Identity(tenant, "m1", "a");
        var b = await Identity(tenant, "m1", "b");
        var m2 = await Identity(tenant, "m2", "a");
        var foreign = await Identity(other, "m1", "a");
        Assert.Contains("spiffe://m1/a", a.Uris);
        Assert.Contains("spiffe://m1/b", b.Uris);
        Assert.DoesNotContain("spiffe://m1/b", a.Uris);
        Assert.NotEqual(a.Key, b.Key);
        Assert.Equal(a.Ca, b.Ca);
        Assert.NotEqual(a.Ca, m2.Ca); // a proxy of m2 (asking for m1's names too) only ever has m2's CA
        Assert.Contains("spiffe://m2/a", m2.Uris);
        Assert.NotEqual(a.Ca, foreign.Ca); // same mesh and proxy names in another tenant: another CA
        Assert.Equal(await CaPem(other, "m1"), foreign.Ca);
    }

    [Fact]
    public async Task A_mesh_without_mTLS_serves_no_secrets()
    {
        var tenant = Cp.NewClient(await Cp.CreateTenantAsync("sds-off"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("""{"type":"Mesh","name":"m1"}"""))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/a", ControlPlane.Json(Samples.Dataplane("m1", "a", "a")))).EnsureSuccessStatusCode();
        await using var ads = await Connect(tenant, "m1", "a");
        await ads.SendAsync(TypeUrls.Secret, OwnNames);
        Assert.Empty((await ads.NextOfTypeAsync(TypeUrls.Secret)).Resources);

        // Turning mTLS on pushes them to the live stream.
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json(MtlsMesh.Replace("@M@", "m1")))).EnsureSuccessStatusCode();
        var pushed = await ads.NextOfTypeAsync(TypeUrls.Secret);
        Assert.Equal(OwnNames, Secrets(pushed).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_certificate_is_renewed_on_the_live_stream_before_it_expires()
    {
        var tenant = await TenantWithMeshes("sds-renew");
        var caPem = await CaPem(tenant, "m1");
        await using var ads = await Connect(tenant, "m1", "a");
        await ads.SendAsync(TypeUrls.Secret, OwnNames);
        var first = await ads.NextOfTypeAsync(TypeUrls.Secret);
        await ads.AckAsync(first, OwnNames);
        using var before = Leaf(Secrets(first)["identity_cert:secret:m1"]);

        // Kuma renews at four fifths of the lifetime: 24 h certificates at 19 h 12 min.
        fixture.Clock.Advance(TimeSpan.FromHours(19) + TimeSpan.FromMinutes(12));
        var renewed = await ads.NextOfTypeAsync(TypeUrls.Secret);
        var secrets = Secrets(renewed);
        // The CA did not change: it travels again only if the ACK above had not yet been read.
        if (secrets.TryGetValue("mesh_ca:secret:m1", out var ca)) Assert.Equal(caPem, ca.ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        using var after = Leaf(secrets["identity_cert:secret:m1"]);
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.NotEqual(before.PublicKey.ExportSubjectPublicKeyInfo(), after.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(after.NotAfter > before.NotAfter);
        var now = fixture.Clock.GetUtcNow();
        Assert.Empty(TestCertificates.ChainProblems(after, caPem, now.AddHours(23)));
        Assert.Contains(X509ChainStatusFlags.NotTimeValid, TestCertificates.ChainProblems(before, caPem, now.AddHours(5)));

        // Still the same stream: it answers the ACK's follow-up with no error and is not ended.
        await ads.AckAsync(renewed, OwnNames);
        Assert.Equal(StatusCode.DeadlineExceeded, await ads.StatusAsync(TimeSpan.FromMilliseconds(300)));
    }

    private const string RotatingMesh =
        """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-2","backends":[{"name":"ca-1","type":"builtin"},{"name":"ca-2","type":"builtin"}]}}""";
    private const string RotatedMesh = """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-2","backends":[{"name":"ca-2","type":"builtin"}]}}""";

    /// <summary>The certificates of a CA bundle, in order, as PEM.</summary>
    private static List<string> BundleOf(Secret bundle)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(bundle.ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        var pems = certificates.Select(c => c.ExportCertificatePem()).ToList();
        foreach (var certificate in certificates) certificate.Dispose();
        return pems;
    }

    private static string Normalized(string pem)
    {
        using var certificate = X509Certificate2.CreateFromPem(pem);
        return certificate.ExportCertificatePem();
    }

    [Fact]
    public async Task A_CA_rotation_trusts_both_CAs_everywhere_before_any_leaf_of_the_new_one_and_streams_live_on()
    {
        var tenant = await TenantWithMeshes("sds-rotate");
        var ca1 = await CaPem(tenant, "m1");
        await using var a = await Connect(tenant, "m1", "a");
        await using var b = await Connect(tenant, "m1", "b");
        AdsClient[] proxies = [a, b];
        foreach (var proxy in proxies)
        {
            await proxy.SendAsync(TypeUrls.Secret, OwnNames);
            var first = await proxy.NextOfTypeAsync(TypeUrls.Secret);
            using var leaf = Leaf(Secrets(first)["identity_cert:secret:m1"]);
            Assert.Empty(TestCertificates.ChainProblems(leaf, ca1, fixture.Clock.GetUtcNow()));
            await proxy.AckAsync(first, OwnNames);
        }

        // Adding ca-2 and enabling it in one write: every proxy trusts both CAs, and its leaf still comes from ca-1.
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json(RotatingMesh))).EnsureSuccessStatusCode();
        var ca2 = await CaPem(tenant, "m1", "ca-2");
        var both = new List<string> { Normalized(ca1), Normalized(ca2) };
        var trusting = new List<DiscoveryResponse>();
        foreach (var proxy in proxies)
        {
            var response = await proxy.NextOfTypeAsync(TypeUrls.Secret);
            var secrets = Secrets(response);
            Assert.Equal(both, BundleOf(secrets["mesh_ca:secret:m1"]));
            if (secrets.TryGetValue("identity_cert:secret:m1", out var identity))
            {
                using var leaf = Leaf(identity);
                Assert.Empty(TestCertificates.ChainProblems(leaf, ca1, fixture.Clock.GetUtcNow()));
            }
            trusting.Add(response);
        }

        // One proxy holding both CAs is not enough: the other has not said it trusts ca-2 yet.
        await a.AckAsync(trusting[0], OwnNames);
        Assert.True(await a.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        Assert.True(await b.NothingWithinAsync(TimeSpan.FromMilliseconds(1)));

        // Once every proxy acknowledged the bundle with ca-2, each gets a leaf of ca-2 on its live stream.
        await b.AckAsync(trusting[1], OwnNames);
        var rotated = new List<DiscoveryResponse>();
        foreach (var proxy in proxies)
        {
            var response = await proxy.NextOfTypeAsync(TypeUrls.Secret);
            var secrets = Secrets(response);
            using var leaf = Leaf(secrets["identity_cert:secret:m1"]);
            Assert.Empty(TestCertificates.ChainProblems(leaf, ca2, fixture.Clock.GetUtcNow()));
            Assert.NotEmpty(TestCertificates.ChainProblems(leaf, ca1, fixture.Clock.GetUtcNow()));
            if (secrets.TryGetValue("mesh_ca:secret:m1", out var bundle)) Assert.Equal(both, BundleOf(bundle));
            await proxy.AckAsync(response, OwnNames);
            rotated.Add(response);
        }

        // Removing ca-1 takes it out of every bundle; leaves stay with ca-2.
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json(RotatedMesh))).EnsureSuccessStatusCode();
        foreach (var proxy in proxies)
        {
            var secrets = Secrets(await proxy.NextOfTypeAsync(TypeUrls.Secret));
            Assert.Equal([Normalized(ca2)], BundleOf(secrets["mesh_ca:secret:m1"]));
            if (secrets.TryGetValue("identity_cert:secret:m1", out var identity))
            {
                using var leaf = Leaf(identity);
                Assert.Empty(TestCertificates.ChainProblems(leaf, ca2, fixture.Clock.GetUtcNow()));
            }
        }

        // The same two streams throughout: neither was ended.
        Assert.Equal(StatusCode.DeadlineExceeded, await a.StatusAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(StatusCode.DeadlineExceeded, await b.StatusAsync(TimeSpan.FromMilliseconds(1)));
    }
}
