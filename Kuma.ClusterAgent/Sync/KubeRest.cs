using System.Net.Http.Headers;
using System.Text;

namespace Kuma.ClusterAgent.Sync;

/// <summary>Requests to the Kubernetes API through the client's own HttpClient and credentials (TLS, token).</summary>
internal sealed class KubeRest(k8s.Kubernetes client)
{
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? body, string contentType, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(client.BaseUri, pathAndQuery));
        request.Headers.Accept.ParseAdd("application/json");
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        if (client.Credentials is { } credentials) await credentials.ProcessHttpRequestAsync(request, ct);
        return await client.HttpClient.SendAsync(request, completion, ct);
    }

    public Task<HttpResponseMessage> GetAsync(string pathAndQuery, HttpCompletionOption completion, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, pathAndQuery, null, "application/json", completion, ct);
}
