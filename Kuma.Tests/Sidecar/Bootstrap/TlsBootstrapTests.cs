using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kuma.Configuration;
using Kuma.Gateway.Dp;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>The DP port over TLS: HTTP/1.1 and HTTP/2 by ALPN, Kuma's certificate checks, and the operator's own certificate.</summary>
public sealed class TlsBootstrapTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Both_http_versions_are_answered_and_kumas_certificate_checks_apply()
    {
        var (tenantClient, token) = await FirstContactDpClient.MeshWithWebAsync(Cp, "tls-boot");
        using var tenant = tenantClient;
        using var firstContact = new FirstContactDpClient(Cp.DpPort);
        var dp = firstContact.Http;

        using var h1 = await dp.SendAsync(KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token)));
        Assert.Equal(HttpVersion.Version11, h1.Version);
        var (bootstrap, _) = await KumaDpRequests.ReadAsync(h1);
        using var h2 = await dp.SendAsync(KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token), HttpVersion.Version20));
        Assert.Equal(HttpVersion.Version20, h2.Version);
        Assert.Equal(bootstrap, (await KumaDpRequests.ReadAsync(h2)).Bootstrap);

        // kuma-dp's own CA (--ca-cert-file) is what Envoy trusts, once it is a CA; the generated certificate is none.
        var withOwnCa = KumaDpRequests.Body("m1", "web", token);
        withOwnCa["caCert"] = firstContact.Presented[0].ExportCertificatePem();
        using var notCa = await dp.SendAsync(KumaDpRequests.Post(withOwnCa));
        Assert.Equal(HttpStatusCode.BadRequest, notCa.StatusCode);
        Assert.Equal(BootstrapTrust.NotCa, await notCa.Content.ReadAsStringAsync());
        using var certificates = new TestCertificates();
        withOwnCa["caCert"] = certificates.CaPem;
        var (trusting, _) = await KumaDpRequests.ReadAsync(await dp.SendAsync(KumaDpRequests.Post(withOwnCa)));
        Assert.Equal(certificates.CaPem, trusting.StaticResources.Secrets.Single().ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());

        // A host the certificate does not name: Kuma's answer, so the operator learns what to change.
        using var elsewhere = KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token));
        elsewhere.Headers.Host = $"kuma.internal:{Cp.DpPort}";
        using var refused = await dp.SendAsync(elsewhere);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.StartsWith(
            "A data plane proxy is trying to connect to the control plane using \"kuma.internal\" address, but the certificate in the control plane has the following SANs [\"127.0.0.1\" \"::1\" \"localhost\" ",
            await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_operators_certificate_serves_the_dp_port_and_kuma_dp_trusts_it_through_its_ca()
    {
        using var certificates = new TestCertificates();
        await using var cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string>
        {
            [DpServerTlsFiles.CertFileSetting] = certificates.CertFile,
            [DpServerTlsFiles.KeyFileSetting] = certificates.KeyFile,
        });
        using var tenant = cp.NewClient(await cp.CreateTenantAsync("operator-tls"));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        var token = await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web");
        using var ca = X509Certificate2.CreateFromPem(certificates.CaPem);
        using var trustingCa = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => ChainsTo(certificate, ca) };
        using var dp = new HttpClient(trustingCa) { BaseAddress = new Uri($"https://localhost:{cp.DpPort}") };

        // The server certificate is no CA, so Envoy cannot be told to trust it alone: kuma-dp must name the CA (Kuma's rule).
        using var withoutCa = await dp.SendAsync(KumaDpRequests.Post(KumaDpRequests.Body("m1", "web", token)));
        Assert.Equal(HttpStatusCode.BadRequest, withoutCa.StatusCode);
        Assert.Equal(BootstrapTrust.NotCa, await withoutCa.Content.ReadAsStringAsync());

        var body = KumaDpRequests.Body("m1", "web", token);
        body["caCert"] = certificates.CaPem;
        var (bootstrap, _) = await KumaDpRequests.ReadAsync(await dp.SendAsync(KumaDpRequests.Post(body)));
        Assert.Equal(certificates.CaPem, bootstrap.StaticResources.Secrets.Single().ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());

        await using var envoy = new AdsClient($"https://localhost:{cp.DpPort}", bootstrap.Node.Id, token, bootstrap.Node.Metadata, handler: trustingCa);
        await envoy.SendAsync(TypeUrls.Listener);
        Assert.Contains((await envoy.NextOfTypeAsync(TypeUrls.Listener)).Resources, r => r.Unpack<Envoy.Config.Listener.V3.Listener>().Name == "inbound:10.0.1.1:8080");
    }

    [Fact]
    public void Bad_certificate_files_stop_the_start_naming_the_setting()
    {
        using var certificates = new TestCertificates();
        string Problem(Dictionary<string, string> values) =>
            Assert.Throws<KumaConfigurationException>(() => DpServerTlsFiles.Load(new KumaSettings(values))).Message;
        var missing = Path.Combine(certificates.Folder, "missing.crt");

        Assert.Equal("KUMA_GENERAL_TLS_CERT_FILE and KUMA_GENERAL_TLS_KEY_FILE go together: set both or neither",
            Problem(new() { [DpServerTlsFiles.CertFileSetting] = certificates.CertFile }));
        Assert.StartsWith($"KUMA_GENERAL_TLS_CERT_FILE: cannot read {missing} (",
            Problem(new() { [DpServerTlsFiles.CertFileSetting] = missing, [DpServerTlsFiles.KeyFileSetting] = certificates.KeyFile }));
        Assert.StartsWith($"KUMA_GENERAL_TLS_CERT_FILE: {certificates.KeyFile} holds no PEM certificate (",
            Problem(new() { [DpServerTlsFiles.CertFileSetting] = certificates.KeyFile, [DpServerTlsFiles.KeyFileSetting] = certificates.KeyFile }));
        Assert.StartsWith($"KUMA_GENERAL_TLS_KEY_FILE: {certificates.OtherKeyFile} holds no PEM private key of the certificate in KUMA_GENERAL_TLS_CERT_FILE (",
            Problem(new() { [DpServerTlsFiles.CertFileSetting] = certificates.CertFile, [DpServerTlsFiles.KeyFileSetting] = certificates.OtherKeyFile }));

        using var loaded = DpServerTlsFiles.Load(new KumaSettings(new Dictionary<string, string>
        {
            [DpServerTlsFiles.CertFileSetting] = certificates.CertFile,
            [DpServerTlsFiles.KeyFileSetting] = certificates.KeyFile,
        }));
        Assert.Equal(certificates.ServerThumbprint, loaded.Certificate!.Thumbprint);
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal(certificates.ServerPem, loaded.CertificatePem);
        Assert.Null(DpServerTlsFiles.Load(new KumaSettings(new Dictionary<string, string>())).Certificate);
    }

    private static bool ChainsTo(X509Certificate2? certificate, X509Certificate2 ca)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
