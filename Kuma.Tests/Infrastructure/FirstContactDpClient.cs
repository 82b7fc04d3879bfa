using System.Security.Cryptography.X509Certificates;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// kuma-dp's first contact with the DP server over TLS: it trusts whatever certificate is presented (trust comes
/// from what the bootstrap hands out) and keeps the certificates it saw so a test can compare them with that.
/// </summary>
internal sealed class FirstContactDpClient : IDisposable
{
    private readonly HttpClientHandler _handler;
    private readonly List<X509Certificate2> _presented = [];

    public FirstContactDpClient(int dpPort)
    {
        _handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is not null) lock (_presented) _presented.Add(X509CertificateLoader.LoadCertificate(certificate.RawData));
                return true;
            },
        };
        Http = new HttpClient(_handler) { BaseAddress = new Uri($"https://localhost:{dpPort}") };
    }

    public HttpClient Http { get; }

    /// <summary>The certificates the server presented, oldest first.</summary>
    public IReadOnlyList<X509Certificate2> Presented
    {
        get { lock (_presented) return [.. _presented]; }
    }

    /// <summary>A tenant's mesh <c>m1</c> with dataplane <c>web</c> and a dataplane token for it.</summary>
    public static async Task<(HttpClient Tenant, string Token)> MeshWithWebAsync(ControlPlane cp, string tenantName)
    {
        var tenant = cp.NewClient(await cp.CreateTenantAsync(tenantName));
        (await tenant.PutAsync("/meshes/m1", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/m1/dataplanes/web", ControlPlane.Json(Samples.Dataplane("m1", "web", "web", "10.0.1.1", 8080)))).EnsureSuccessStatusCode();
        return (tenant, await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web"));
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }
}
