using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kuma.Gateway.Dp;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Tokens;

/// <summary>The API over HTTPS (Kuma's 5682, here a free port) with the cluster's certificate, the same endpoints as over HTTP.</summary>
public sealed class HttpsApiTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task The_https_port_answers_the_api_with_the_clusters_certificate()
    {
        var tenantToken = await Cp.CreateTenantAsync("over-tls");
        var expected = await Cp.Services.GetRequiredService<DpCertificateProvider>().GetAsync();
        X509Certificate2? presented = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
                return certificate?.Thumbprint == expected.Thumbprint;
            },
        };
        var port = Cp.Settings.GetInt("KUMA_API_SERVER_HTTPS_PORT", 0);
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{port}") };

        Assert.Equal(HttpStatusCode.OK, (await https.GetAsync("/meshes")).StatusCode);
        Assert.Equal(expected.Thumbprint, presented!.Thumbprint);
        using var request = new HttpRequestMessage(HttpMethod.Put, "/meshes/tls-mesh") { Content = ControlPlane.Json("{}") };
        request.Headers.Authorization = new("Bearer", tenantToken);
        Assert.Equal(HttpStatusCode.Created, (await https.SendAsync(request)).StatusCode);
        using var tenant = Cp.NewClient(tenantToken);
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/meshes/tls-mesh")).StatusCode);
        // The DP server's port is not the API: an API path there is not served.
        using var trustAll = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var dp = new HttpClient(trustAll) { BaseAddress = new Uri($"https://localhost:{Cp.DpPort}") };
        Assert.Equal(HttpStatusCode.NotFound, (await dp.GetAsync("/meshes")).StatusCode);
    }
}
