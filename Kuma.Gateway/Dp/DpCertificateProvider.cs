using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kuma.Grains;

namespace Kuma.Gateway.Dp;

/// <summary>Hands Kestrel the cluster's DP server certificate, fetched once from the silos.</summary>
public sealed class DpCertificateProvider(IGrainFactory grains) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private X509Certificate2? _certificate;

    public async ValueTask<X509Certificate2> GetAsync()
    {
        if (_certificate is not null) return _certificate;
        await _gate.WaitAsync();
        try
        {
            _certificate ??= X509CertificateLoader.LoadPkcs12(await grains.GetGrain<IDpCertificateGrain>(IDpCertificateGrain.Key).GetPkcs12(), null);
            return _certificate;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<SslServerAuthenticationOptions> ServerOptionsAsync() => new()
    {
        ServerCertificate = await GetAsync(),
        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
    };

    public void Dispose()
    {
        _certificate?.Dispose();
        _gate.Dispose();
    }
}
