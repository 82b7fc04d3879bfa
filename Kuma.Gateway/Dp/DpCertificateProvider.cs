using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kuma.Grains;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Hands Kestrel the DP server's certificate: the operator's (<see cref="DpServerTlsFiles"/>) when configured,
/// otherwise the cluster's generated one, fetched once from the silos.
/// </summary>
public sealed class DpCertificateProvider(IGrainFactory grains, DpServerTlsFiles files) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private X509Certificate2? _generated;

    /// <summary>The operator supplied the certificate (so it is checked as Kuma checks it before Envoy is told to trust it).</summary>
    public bool IsOperatorCertificate => files.Certificate is not null;

    public async ValueTask<X509Certificate2> GetAsync()
    {
        if (files.Certificate is { } operatorCertificate) return operatorCertificate;
        if (_generated is not null) return _generated;
        await _gate.WaitAsync();
        try
        {
            _generated ??= X509CertificateLoader.LoadPkcs12(await grains.GetGrain<IDpCertificateGrain>(IDpCertificateGrain.Key).GetPkcs12(), null);
            return _generated;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The PEM a proxy trusts this server with when kuma-dp names no CA: the operator's certificate file as written,
    /// or the generated certificate, which signs itself.
    /// </summary>
    public async ValueTask<string> TrustPemAsync() =>
        files.Certificate is not null ? files.CertificatePem : (await GetAsync()).ExportCertificatePem();

    public async ValueTask<SslServerAuthenticationOptions> ServerOptionsAsync() => new()
    {
        ServerCertificate = await GetAsync(),
        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
    };

    public void Dispose()
    {
        _generated?.Dispose();
        _gate.Dispose();
    }
}
