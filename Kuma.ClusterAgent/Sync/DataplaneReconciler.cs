using k8s.Models;
using Kuma.ClusterAgent.Pods;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Sync;

/// <summary>
/// Keeps the hosted API's Dataplanes of this zone equal to what the cluster's Pods stand for. It first reads what the
/// API already holds (only resources labelled managed-by the agent and of its zone: nothing else is ever touched),
/// then on every change computes the wanted Dataplanes and writes only the differences, so a restart over an
/// unchanged cluster writes nothing.
/// </summary>
internal sealed partial class DataplaneReconciler(
    KubeCache<V1Namespace> namespaces,
    KubeCache<V1Pod> pods,
    KubeCache<V1Service> services,
    ChangeSignal changed,
    ControlPlaneClient api,
    string zone,
    TimeProvider time,
    ILogger<DataplaneReconciler> logger)
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);
    /// <summary>Labels the API sets itself; the agent compares only those it would set.</summary>
    private static readonly HashSet<string> ApiComputedLabels = new(["kuma.io/mesh", "kuma.io/env"], StringComparer.Ordinal);

    /// <summary>What the API holds of this zone's Dataplanes, as fingerprints of spec and labels.</summary>
    private readonly Dictionary<(string Mesh, string Name), string> _held = [];
    private int _passes;

    /// <summary>Completed reconcile passes over a fully listed cluster (tests wait on it).</summary>
    public int Passes => Volatile.Read(ref _passes);

    public async Task RunAsync(CancellationToken ct)
    {
        await LoadHeldAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var clean = true;
            if (namespaces.Synced && pods.Synced && services.Synced)
            {
                clean = await ReconcileAsync(ct);
                Interlocked.Increment(ref _passes);
            }
            await WaitAsync(clean ? null : RetryAfterFailure, ct);
        }
    }

    private async Task LoadHeldAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                foreach (var stored in await api.ListDataplanesAsync(ct))
                {
                    if (!IsOurs(stored.Labels)) continue;
                    _held[(stored.Mesh, stored.Name)] = Fingerprint(stored.Spec, stored.Labels);
                }
                LogLoaded(logger, _held.Count, zone);
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

    private bool IsOurs(IReadOnlyDictionary<string, string> labels) =>
        labels.GetValueOrDefault(AgentLabels.ManagedBy) == AgentLabels.ClusterAgent && labels.GetValueOrDefault(AgentLabels.Zone) == zone;

    /// <summary>One pass; false when some write failed or a Pod could not be converted (retried later).</summary>
    private async Task<bool> ReconcileAsync(CancellationToken ct)
    {
        var clean = true;
        var wanted = new Dictionary<(string Mesh, string Name), PodDataplane>();
        var keep = new HashSet<(string Mesh, string Name)>();
        var allServices = services.Items;
        foreach (var pod in pods.Items)
        {
            if (!PodSelection.NeedsDataplane(pod)) continue;
            var ns = namespaces.Get(null, pod.Metadata.NamespaceProperty);
            try
            {
                var dataplane = PodConverter.Convert(pod, PodSelection.ServicesFor(pod, allServices), ns, zone);
                wanted[(dataplane.Mesh, dataplane.Name)] = dataplane;
            }
            catch (PodConversionException e)
            {
                // Kuma keeps the last good Dataplane of a Pod it cannot convert; so does the agent.
                LogConversionFailed(logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e.Message);
                keep.Add((PodConverter.MeshOf(pod, ns), PodConverter.NameOf(pod)));
                clean = false;
            }
        }

        foreach (var (key, dataplane) in wanted)
        {
            var fingerprint = Fingerprint(dataplane.Spec, dataplane.Labels);
            if (_held.GetValueOrDefault(key) == fingerprint) continue;
            try
            {
                await api.PutDataplaneAsync(dataplane, ct);
                _held[key] = fingerprint;
            }
            catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException)
            {
                LogWriteFailed(logger, key.Mesh, key.Name, e.Message);
                clean = false;
            }
        }

        foreach (var key in _held.Keys.Where(k => !wanted.ContainsKey(k) && !keep.Contains(k)).ToList())
        {
            try
            {
                await api.DeleteDataplaneAsync(key.Mesh, key.Name, ct);
                _held.Remove(key);
            }
            catch (Exception e) when (e is ControlPlaneApiException or HttpRequestException)
            {
                LogWriteFailed(logger, key.Mesh, key.Name, e.Message);
                clean = false;
            }
        }
        return clean;
    }

    /// <summary>Spec and labels, less the labels the API computes itself (they say nothing about what the agent wrote).</summary>
    private static string Fingerprint(Kuma.Resources.Core.DataplaneSpec spec, IReadOnlyDictionary<string, string> labels) =>
        CanonicalJson.Of(spec) + CanonicalJson.Of(new SortedDictionary<string, string>(
            labels.Where(p => !ApiComputedLabels.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal));

    private async Task WaitAsync(TimeSpan? retry, CancellationToken ct)
    {
        if (retry is null)
        {
            await changed.WaitAsync(ct);
            return;
        }
        using var delay = new CancellationTokenSource(retry.Value, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, delay.Token);
        try
        {
            await changed.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the retry delay passed without a change
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The API holds {Count} Dataplanes of zone {Zone} written by the agent")]
    private static partial void LogLoaded(ILogger logger, int count, string zone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the API's Dataplanes failed ({Reason}); retrying in {Delay}")]
    private static partial void LogLoadFailed(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod} has no Dataplane: {Reason}")]
    private static partial void LogConversionFailed(ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing Dataplane {Mesh}/{Name} failed: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string mesh, string name, string reason);
}
