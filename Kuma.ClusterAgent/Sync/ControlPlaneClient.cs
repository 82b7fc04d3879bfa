using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Pods;
using Kuma.Resources.Core;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Sync;

/// <summary>A Dataplane as the hosted API holds it.</summary>
internal sealed record StoredDataplane(string Mesh, string Name, DataplaneSpec Spec, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// The hosted control plane's REST API as the agent uses it, with the tenant's token. 503 (store or silo briefly
/// away) and connection failures are retried with backoff; other errors surface as <see cref="ControlPlaneApiException"/>.
/// </summary>
internal sealed partial class ControlPlaneClient(HttpClient http, TimeProvider time, ILogger<ControlPlaneClient> logger)
{
    private const int Attempts = 5;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private const int PageSize = 500;

    /// <summary>Every Dataplane of the tenant, all meshes.</summary>
    public async Task<List<StoredDataplane>> ListDataplanesAsync(CancellationToken ct)
    {
        var result = new List<StoredDataplane>();
        foreach (var resource in await ListAsync("dataplanes", ct))
        {
            var spec = resource.DeepClone().AsObject();
            foreach (var meta in new[] { "type", "mesh", "name", "labels", "creationTime", "modificationTime", "kri" }) spec.Remove(meta);
            result.Add(new StoredDataplane((string)resource["mesh"]!, (string)resource["name"]!, spec.Deserialize<DataplaneSpec>(AgentJson.Options) ?? new DataplaneSpec(), LabelsOf(resource)));
        }
        return result;
    }

    /// <summary>Mesh, name and labels of every resource of a mesh-scoped type, all meshes.</summary>
    public async Task<List<(string Mesh, string Name, Dictionary<string, string> Labels)>> ListKeysAsync(string plural, CancellationToken ct) =>
        [.. (await ListAsync(plural, ct)).Select(r => ((string)r["mesh"]!, (string)r["name"]!, LabelsOf(r)))];

    private async Task<List<JsonObject>> ListAsync(string plural, CancellationToken ct)
    {
        var result = new List<JsonObject>();
        string? next = $"/{plural}?size={PageSize.ToString(CultureInfo.InvariantCulture)}";
        while (next is not null)
        {
            var page = await SendJsonAsync(HttpMethod.Get, next, null, ct) as JsonObject;
            result.AddRange((page?["items"] as JsonArray ?? []).OfType<JsonObject>());
            next = (string?)page?["next"] is { Length: > 0 } url ? PathOf(url) : null;
        }
        return result;
    }

    private static Dictionary<string, string> LabelsOf(JsonObject resource) =>
        (resource["labels"] as JsonObject ?? []).ToDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.Ordinal);

    public async Task PutDataplaneAsync(PodDataplane dataplane, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToNode(dataplane.Spec, AgentJson.Options)!.AsObject();
        body["type"] = "Dataplane";
        body["mesh"] = dataplane.Mesh;
        body["name"] = dataplane.Name;
        body["labels"] = JsonSerializer.SerializeToNode(dataplane.Labels);
        await SendJsonAsync(HttpMethod.Put, $"/meshes/{Escape(dataplane.Mesh)}/dataplanes/{Escape(dataplane.Name)}", body, ct);
        LogWrote(logger, "PUT", dataplane.Mesh, "dataplanes", dataplane.Name);
    }

    public Task DeleteDataplaneAsync(string mesh, string name, CancellationToken ct) => DeleteAsync(mesh, "dataplanes", name, ct);

    /// <summary>Creates or replaces a targetRef policy (its <c>spec</c> nested, as Kuma's API takes policies).</summary>
    public async Task PutPolicyAsync(string type, string plural, string mesh, string name, JsonNode? spec, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["mesh"] = mesh,
            ["name"] = name,
            ["labels"] = JsonSerializer.SerializeToNode(labels),
            ["spec"] = spec?.DeepClone(),
        };
        await SendJsonAsync(HttpMethod.Put, $"/meshes/{Escape(mesh)}/{plural}/{Escape(name)}", body, ct);
        LogWrote(logger, "PUT", mesh, plural, name);
    }

    public Task DeletePolicyAsync(string plural, string mesh, string name, CancellationToken ct) => DeleteAsync(mesh, plural, name, ct);

    /// <summary>
    /// A dataplane token for <paramref name="mesh"/> without a name (the control plane accepts it for any dataplane of
    /// that mesh): what injected proxies of the mesh present, kept in a Secret by the webhook.
    /// </summary>
    public async Task<string> IssueDataplaneTokenAsync(string mesh, TimeSpan validFor, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["mesh"] = mesh,
            ["validFor"] = ((long)validFor.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
        };
        using var response = await SendAsync(HttpMethod.Post, "/tokens/dataplane", body, ct);
        return (await response.Content.ReadAsStringAsync(ct)).Trim();
    }

    private async Task DeleteAsync(string mesh, string plural, string name, CancellationToken ct)
    {
        try
        {
            using var _ = await SendAsync(HttpMethod.Delete, $"/meshes/{Escape(mesh)}/{plural}/{Escape(name)}", null, ct);
            LogWrote(logger, "DELETE", mesh, plural, name);
        }
        catch (ControlPlaneApiException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            // already gone: what deleting wanted
        }
    }

    private async Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
            HttpResponseMessage? response = null;
            try
            {
                response = await http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode) return response;
                var status = response.StatusCode;
                var error = ControlPlaneApiException.From((int)status, await response.Content.ReadAsStringAsync(ct));
                response.Dispose();
                if (status != HttpStatusCode.ServiceUnavailable || attempt == Attempts) throw error;
                LogRetrying(logger, method.Method, path, error.Message, delay);
            }
            catch (HttpRequestException e) when (attempt < Attempts)
            {
                response?.Dispose();
                LogRetrying(logger, method.Method, path, e.Message, delay);
            }
            await Task.Delay(delay, time, ct);
            delay *= 2;
        }
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    /// <summary>The API answers <c>next</c> as an absolute URL; the client keeps its own base address.</summary>
    private static string PathOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : url;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Mesh}/{Plural}/{Name}")]
    private static partial void LogWrote(ILogger logger, string method, string mesh, string plural, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} failed ({Reason}); retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, string method, string path, string reason, TimeSpan delay);
}
