using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Config;

namespace Kuma.Kumactl.Client;

/// <summary>The REST API of one control plane as kumactl uses it. Every failure becomes a <see cref="KumactlException"/> saying what failed and why.</summary>
public sealed class KumaApiClient(HttpClient http, TimeSpan timeout) : IDisposable
{
    public Uri BaseAddress => http.BaseAddress!;

    public static KumaApiClient For(ApiServerEntry server, KumactlEnvironment env, TimeSpan timeout)
    {
        if (!Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new KumactlException($"API Server URL is invalid: {server.Url}");
        var http = new HttpClient(env.HttpHandler?.Invoke() ?? Handler(server), disposeHandler: true)
        {
            BaseAddress = new Uri(url.ToString().TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        foreach (var (key, value) in server.Headers) http.DefaultRequestHeaders.TryAddWithoutValidation(key, value);
        if (server.AuthType == AuthTypes.Tokens && server.AuthConf.TryGetValue(AuthTypes.TokenKey, out var token))
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new KumaApiClient(http, timeout);
    }

    private static SocketsHttpHandler Handler(ApiServerEntry server)
    {
        var handler = new SocketsHttpHandler();
        if (server.SkipVerify)
        {
            // The user asked for it by name (--skip-verify), as Kuma's kumactl allows.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (!string.IsNullOrEmpty(server.CaCertFile))
        {
            var trusted = LoadCertificates(server.CaCertFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == System.Net.Security.SslPolicyErrors.None) return true;
                if (certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                return chain.Build(new X509Certificate2(certificate));
            };
        }
        if (!string.IsNullOrEmpty(server.ClientCertFile) && !string.IsNullOrEmpty(server.ClientKeyFile))
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(server.ClientCertFile, server.ClientKeyFile)];
        }
        return handler;
    }

    private static X509Certificate2Collection LoadCertificates(string path)
    {
        try
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            return collection;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new KumactlException($"could not read the CA certificate file {path}: {e.Message}");
        }
    }

    /// <summary>The JSON object at <paramref name="path"/>, or null when the API answers 404.</summary>
    public async Task<JsonObject?> GetAsync(string path, string failure, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), failure, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadObjectAsync(response, failure, ct);
    }

    /// <summary>Every item of a list, following <c>next</c> through each page.</summary>
    public async Task<List<JsonObject>> ListAllAsync(string path, int? pageSize, string failure, CancellationToken ct)
    {
        var items = new List<JsonObject>();
        string? next = pageSize is { } size ? $"{path}?size={size}" : path;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (next is not null)
        {
            if (!seen.Add(next)) throw new KumactlException($"{failure}: the control plane sent the same page link twice: {next}");
            using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, next), failure, ct);
            var page = await ReadObjectAsync(response, failure, ct);
            items.AddRange((page["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()));
            next = page["next"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
        }
        return items;
    }

    /// <summary>PUTs a resource: whether the API created it (or updated one), and the warnings its answer carries.</summary>
    public async Task<(bool Created, IReadOnlyList<string> Warnings)> PutAsync(string path, JsonObject body, string failure, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await SendAsync(request, failure, ct);
        await EnsureSuccessAsync(response, failure, ct);
        return (response.StatusCode == HttpStatusCode.Created, Warnings(await response.Content.ReadAsStringAsync(ct)));
    }

    /// <summary>Kuma answers a write with <c>{"warnings": [...]}</c> when the resource uses something deprecated; an empty body has none.</summary>
    private static string[] Warnings(string body)
    {
        if (body.Trim().Length == 0) return [];
        try
        {
            return JsonNode.Parse(body)?["warnings"] is JsonArray warnings ? [.. warnings.Select(w => w?.ToString() ?? "")] : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>False when there was nothing to delete.</summary>
    public async Task<bool> DeleteAsync(string path, string failure, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), failure, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, failure, ct);
        return true;
    }

    public async Task<string> PostForTextAsync(string path, JsonObject body, string failure, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await SendAsync(request, failure, ct);
        await EnsureSuccessAsync(response, failure, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string failure, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using (request)
            {
                var response = await http.SendAsync(request, deadline.Token);
                await response.Content.LoadIntoBufferAsync(deadline.Token);
                return response;
            }
        }
        catch (HttpRequestException e)
        {
            throw new KumactlException($"{failure}: could not connect to the Control Plane API Server at {BaseAddress}: {Innermost(e).Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new KumactlException($"{failure}: the Control Plane API Server at {BaseAddress} did not answer within {timeout.TotalSeconds:0.#}s");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string failure, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw new KumactlException($"{failure}: {ApiProblem.Describe(response.StatusCode, await response.Content.ReadAsStringAsync(ct))}");
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, string failure, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, failure, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new KumactlException($"{failure}: the control plane did not answer a JSON object");
        }
        catch (JsonException e)
        {
            throw new KumactlException($"{failure}: the control plane's answer is not JSON: {e.Message}");
        }
    }

    public void Dispose() => http.Dispose();
}

public static class AuthTypes
{
    public const string Tokens = "tokens";
    public const string TokenKey = "token";
}
