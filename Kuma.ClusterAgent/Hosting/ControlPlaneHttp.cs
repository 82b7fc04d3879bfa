using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>The HttpClient for the hosted API: its base URL, the tenant's bearer token, and trust in its CA when given.</summary>
internal static class ControlPlaneHttp
{
    public static HttpClient Create(AgentOptions options)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (options.CaFile is { } caFile)
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the given CA (a private one, not in the system store), with the usual host name check.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            };
        }
        var client = new HttpClient(handler) { BaseAddress = options.ControlPlaneUrl, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        return client;
    }
}
