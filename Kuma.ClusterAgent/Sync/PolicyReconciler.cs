using System.Globalization;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Pods;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Sync;

/// <summary>
/// Applies the tenant's policy custom resources through the hosted API (<c>&lt;name&gt;.&lt;namespace&gt;</c> in the mesh of
/// label kuma.io/mesh, else default), deletes them when the resource goes, and writes the outcome back as an
/// <c>Accepted</c> condition with the generation it judged. A resource already judged at its generation is not
/// sent again, so a restart over unchanged resources writes nothing.
/// </summary>
internal sealed partial class PolicyReconciler(
    IReadOnlyDictionary<PolicyKind, KubeCache<KumaCustomObject>> caches,
    ChangeSignal changed,
    ControlPlaneClient api,
    KubeRest kube,
    string zone,
    TimeProvider time,
    ILogger<PolicyReconciler> logger)
{
    public const string AcceptedCondition = "Accepted";
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    /// <summary>API resources this agent wrote and still stands behind, by (plural, mesh, name).</summary>
    private readonly HashSet<(string Plural, string Mesh, string Name)> _applied = [];
    /// <summary>
    /// The generation last judged per resource (by uid): the status written for it reaches the cache only through the
    /// watch, and a pass running before then must not send the resource again.
    /// </summary>
    private readonly Dictionary<string, long> _judged = new(StringComparer.Ordinal);
    private int _passes;

    public int Passes => Volatile.Read(ref _passes);

    public async Task RunAsync(CancellationToken ct)
    {
        await LoadAppliedAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var clean = true;
            if (caches.Values.All(c => c.Synced))
            {
                clean = await ReconcileAsync(ct);
                Interlocked.Increment(ref _passes);
            }
            using var delay = new CancellationTokenSource(clean ? Timeout.InfiniteTimeSpan : RetryAfterFailure, time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct, delay.Token);
            try
            {
                await changed.WaitAsync(wake.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // the retry delay passed without a change
            }
        }
    }

    /// <summary>
    /// What the API holds that this agent wrote (its owner label and zone): a resource deleted while the agent was away
    /// is found missing on the first pass and its policy deleted then.
    /// </summary>
    private async Task LoadAppliedAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                foreach (var kind in caches.Keys)
                {
                    foreach (var (mesh, name, labels) in await api.ListKeysAsync(kind.Plural, ct))
                    {
                        if (labels.GetValueOrDefault(AgentLabels.ManagedBy) == AgentLabels.ClusterAgent && labels.GetValueOrDefault(AgentLabels.Zone) == zone)
                            _applied.Add((kind.Plural, mesh, name));
                    }
                }
                return;
            }
            catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException)
            {
                LogLoadFailed(logger, e.Message, delay);
                await Task.Delay(delay, time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task<bool> ReconcileAsync(CancellationToken ct)
    {
        var clean = true;
        var present = new HashSet<(string Plural, string Mesh, string Name)>();
        foreach (var (kind, cache) in caches)
        {
            foreach (var resource in cache.Items)
            {
                var meta = resource.Metadata;
                var mesh = meta.Labels is { } labels && labels.TryGetValue(KumaAnnotations.Mesh, out var m) && m.Length > 0 ? m : PodConverter.DefaultMesh;
                var name = $"{meta.Name}.{meta.NamespaceProperty}";
                present.Add((kind.Plural, mesh, name));
                var generation = meta.Generation ?? 0;
                if (JudgedGeneration(resource) == generation || _judged.GetValueOrDefault(meta.Uid ?? "", -1) == generation)
                {
                    _applied.Add((kind.Plural, mesh, name));
                    continue;
                }
                var judged = await ApplyAsync(kind, resource, mesh, name, ct);
                if (judged && meta.Uid is { } uid) _judged[uid] = generation;
                clean &= judged;
            }
        }
        var live = caches.Values.SelectMany(c => c.Items).Select(r => r.Metadata.Uid ?? "").ToHashSet(StringComparer.Ordinal);
        foreach (var uid in _judged.Keys.Where(u => !live.Contains(u)).ToList()) _judged.Remove(uid);
        foreach (var gone in _applied.Where(a => !present.Contains(a)).ToList())
        {
            try
            {
                await api.DeletePolicyAsync(gone.Plural, gone.Mesh, gone.Name, ct);
                _applied.Remove(gone);
            }
            catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException)
            {
                LogApplyFailed(logger, gone.Plural, gone.Mesh, gone.Name, e.Message);
                clean = false;
            }
        }
        return clean;
    }

    private async Task<bool> ApplyAsync(PolicyKind kind, KumaCustomObject resource, string mesh, string name, CancellationToken ct)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [AgentLabels.Zone] = zone,
            [AgentLabels.KubeNamespace] = resource.Metadata.NamespaceProperty,
            [AgentLabels.Origin] = AgentLabels.OriginZone,
            [AgentLabels.ManagedBy] = AgentLabels.ClusterAgent,
        };
        try
        {
            await api.PutPolicyAsync(kind.Kind, kind.Plural, mesh, name, resource.Spec, labels, ct);
            _applied.Add((kind.Plural, mesh, name));
            return await WriteStatusAsync(kind, resource, accepted: true, "Applied", "", ct);
        }
        catch (ControlPlaneApiException e) when (e.IsClientError)
        {
            // The API refused this resource as it is: say why on the resource; only a new generation is worth retrying.
            var message = e.Causes.Count > 0 ? string.Join("; ", e.Causes) : e.Detail;
            LogRejected(logger, kind.Plural, resource.Metadata.NamespaceProperty, resource.Metadata.Name, message);
            return await WriteStatusAsync(kind, resource, accepted: false, "Rejected", message, ct);
        }
        catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException)
        {
            LogApplyFailed(logger, kind.Plural, mesh, name, e.Message);
            return false;
        }
    }

    private async Task<bool> WriteStatusAsync(PolicyKind kind, KumaCustomObject resource, bool accepted, string reason, string message, CancellationToken ct)
    {
        var meta = resource.Metadata;
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = AcceptedCondition,
                    ["status"] = accepted ? "True" : "False",
                    ["reason"] = reason,
                    ["message"] = message,
                    ["observedGeneration"] = meta.Generation ?? 0,
                    ["lastTransitionTime"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                }),
            },
        };
        var path = $"/apis/{KumaCustomObject.Group}/{KumaCustomObject.Version}/namespaces/{Uri.EscapeDataString(meta.NamespaceProperty)}/{kind.Plural}/{Uri.EscapeDataString(meta.Name)}/status";
        try
        {
            using var response = await kube.SendAsync(HttpMethod.Patch, path, patch.ToJsonString(), "application/merge-patch+json", HttpCompletionOption.ResponseContentRead, ct);
            if (response.IsSuccessStatusCode) return true;
            LogStatusFailed(logger, kind.Plural, meta.NamespaceProperty, meta.Name, KubeApiException.From(response.StatusCode, await response.Content.ReadAsStringAsync(ct)).Message);
        }
        catch (HttpRequestException e)
        {
            LogStatusFailed(logger, kind.Plural, meta.NamespaceProperty, meta.Name, e.Message);
        }
        return false;
    }

    /// <summary>The generation the resource's Accepted condition speaks of, or -1 when it has none.</summary>
    private static long JudgedGeneration(KumaCustomObject resource)
    {
        foreach (var condition in resource.Status?["conditions"] as JsonArray ?? [])
        {
            if ((string?)condition?["type"] == AcceptedCondition && condition?["observedGeneration"] is JsonValue value && value.TryGetValue<long>(out var generation))
                return generation;
        }
        return -1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the API's policies failed ({Reason}); retrying in {Delay}")]
    private static partial void LogLoadFailed(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Plural} {Namespace}/{Name} was refused by the API: {Reason}")]
    private static partial void LogRejected(ILogger logger, string plural, string @namespace, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying {Plural} {Mesh}/{Name} failed: {Reason}")]
    private static partial void LogApplyFailed(ILogger logger, string plural, string mesh, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the status of {Plural} {Namespace}/{Name} failed: {Reason}")]
    private static partial void LogStatusFailed(ILogger logger, string plural, string @namespace, string name, string reason);
}
