using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Sync;

/// <summary>
/// Kubernetes' list-then-watch for one resource type into a <see cref="KubeCache{T}"/>: lists, then watches from the
/// list's resourceVersion with bookmarks, resumes a closed watch from the last version seen, lists again on 410 Gone,
/// and backs off on errors.
/// </summary>
internal sealed partial class KubeWatcher<T>(
    KubeRest kube, string path, KubeCache<T> cache, TimeProvider time, ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    /// <summary>The server ends a watch after this; the loop then resumes it from the last version seen.</summary>
    private const int WatchTimeoutSeconds = 300;

    /// <summary>The last resourceVersion taken in, from a list, an event or a bookmark.</summary>
    public string? ResourceVersion { get; private set; }

    public string Path => path;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ListAsync(ct);
                backoff = FirstBackoff;
                while (await WatchAsync(ct) == WatchEnd.Resume) backoff = FirstBackoff;
                LogRelisting(logger, path, ResourceVersion);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or IOException or KubeApiException or OperationCanceledException)
            {
                LogWatchFailed(logger, path, e.Message, backoff);
                await Task.Delay(backoff, time, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task ListAsync(CancellationToken ct)
    {
        using var response = await kube.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw KubeApiException.From(response.StatusCode, text);
        var list = KubernetesJson.Deserialize<ObjectList>(text);
        cache.Replace(list.Items ?? []);
        ResourceVersion = list.Metadata?.ResourceVersion;
        LogListed(logger, path, list.Items?.Count ?? 0, ResourceVersion);
    }

    private enum WatchEnd { Resume, Relist }

    private async Task<WatchEnd> WatchAsync(CancellationToken ct)
    {
        var query = $"{path}?watch=1&allowWatchBookmarks=true&timeoutSeconds={WatchTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}"
            + (ResourceVersion is null ? "" : "&resourceVersion=" + Uri.EscapeDataString(ResourceVersion));
        using var response = await kube.GetAsync(query, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.Gone) return WatchEnd.Relist;
        if (!response.IsSuccessStatusCode) throw KubeApiException.From(response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            if (Apply(line) == WatchEnd.Relist) return WatchEnd.Relist;
        }
        return WatchEnd.Resume;
    }

    private WatchEnd Apply(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var type = doc.RootElement.GetProperty("type").GetString();
        var obj = doc.RootElement.GetProperty("object");
        switch (type)
        {
            case "ADDED" or "MODIFIED" or "DELETED":
                var item = KubernetesJson.Deserialize<T>(obj.GetRawText());
                if (type == "DELETED") cache.Remove(item);
                else cache.Upsert(item);
                ResourceVersion = item.Metadata.ResourceVersion ?? ResourceVersion;
                return WatchEnd.Resume;
            case "BOOKMARK":
                ResourceVersion = obj.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? ResourceVersion;
                LogBookmark(logger, path, ResourceVersion);
                return WatchEnd.Resume;
            case "ERROR":
                var status = KubernetesJson.Deserialize<V1Status>(obj.GetRawText());
                if (status.Code == (int)HttpStatusCode.Gone) return WatchEnd.Relist;
                throw new KubeApiException(status.Code ?? 0, status.Reason, status.Message);
            default:
                throw new KubeApiException(0, "UnknownEvent", $"unknown watch event type {type}");
        }
    }

    private sealed class ObjectList
    {
        [JsonPropertyName("metadata")] public V1ListMeta? Metadata { get; set; }
        [JsonPropertyName("items")] public List<T>? Items { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listed {Path}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string path, int count, string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bookmark on {Path}: resourceVersion {ResourceVersion}")]
    private static partial void LogBookmark(ILogger logger, string path, string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Watch of {Path} expired at resourceVersion {ResourceVersion} (410 Gone): listing again")]
    private static partial void LogRelisting(ILogger logger, string path, string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching {Path} failed ({Reason}); retrying in {Backoff}")]
    private static partial void LogWatchFailed(ILogger logger, string path, string reason, TimeSpan backoff);
}

/// <summary>An answer of the Kubernetes API other than success, with its Status reason and message.</summary>
internal sealed class KubeApiException(int code, string? reason, string? message)
    : Exception($"Kubernetes API answered {code.ToString(CultureInfo.InvariantCulture)} {reason}: {message}")
{
    public int Code => code;

    public static KubeApiException From(HttpStatusCode code, string body)
    {
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(body);
            return new KubeApiException((int)code, status.Reason, status.Message);
        }
        catch (JsonException)
        {
            return new KubeApiException((int)code, code.ToString(), body.Length > 200 ? body[..200] : body);
        }
    }
}
