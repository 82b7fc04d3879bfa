using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Kuma.ProxylessIdentity;

/// <summary>An identity as the control plane hands it out.</summary>
internal sealed record IssuedIdentity(string Version, string CertificateChain, string PrivateKey, string CaBundle, DateTimeOffset NotAfter, DateTimeOffset RenewAt);

/// <summary>One answer of the control plane: a new identity, no change since the version we hold, or a refusal.</summary>
internal abstract record FetchResult
{
    public sealed record Issued(IssuedIdentity Identity) : FetchResult;
    public sealed record Unchanged : FetchResult;
    public sealed record Refused(int Status, string Detail) : FetchResult;
}

/// <summary>Asks the DP server's <c>/proxyless/identity</c> for this workload's identity, sending the version it holds.</summary>
internal sealed class IdentityClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public IdentityClient(HelperOptions options)
    {
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        if (options.CaCertFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(roots, certificate, errors);
        }
        _http = new HttpClient(handler)
        {
            Timeout = RequestTimeout,
            // The plaintext DP port speaks HTTP/2 only (it is a gRPC port): h2c with prior knowledge.
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = options.Address.Scheme == "http" ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        _endpoint = new Uri(options.Address,
            $"/proxyless/identity?mesh={Uri.EscapeDataString(options.Mesh)}&name={Uri.EscapeDataString(options.Name)}");
    }

    public async Task<FetchResult> FetchAsync(string token, string? heldVersion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _endpoint) { Version = _http.DefaultRequestVersion, VersionPolicy = _http.DefaultVersionPolicy };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (heldVersion is not null) request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{heldVersion}\""));
        using var response = await _http.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotModified) return new FetchResult.Unchanged();
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) return new FetchResult.Refused((int)response.StatusCode, Detail(body));
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        return new FetchResult.Issued(new IssuedIdentity(
            root.GetProperty("version").GetString()!,
            root.GetProperty("certificateChain").GetString()!,
            root.GetProperty("privateKey").GetString()!,
            root.GetProperty("caBundle").GetString()!,
            root.GetProperty("notAfter").GetDateTimeOffset(),
            root.GetProperty("renewAt").GetDateTimeOffset()));
    }

    /// <summary>The control plane's own words for a refusal (Kuma's error shape), else the body as it came.</summary>
    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String) return detail.GetString()!;
        }
        catch (JsonException)
        {
            // Not JSON (a proxy in between, an old control plane): shown as it is.
        }
        return body.Length > 300 ? body[..300] : body;
    }

    /// <summary>The DP server's certificate must chain to the given CA; its name must still match the address.</summary>
    private static bool TrustedBy(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public void Dispose() => _http.Dispose();
}
