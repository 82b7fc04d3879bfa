using k8s.Models;

namespace Kuma.ClusterAgent.Pods;

/// <summary>
/// Which Pods get a Dataplane, by Kuma's pod controller's rule: those its injector injected (annotation
/// <c>kuma.io/sidecar-injected: true</c>, or ours, <c>kuma.io/proxyless-injected: true</c>), while they have an IP and
/// have not succeeded or been evicted. The <c>kuma.io/sidecar-injection</c> label is the webhook's business: a Pod
/// it did not inject (created before injection was enabled) has no proxy to register.
/// </summary>
internal static class PodSelection
{
    public static bool NeedsDataplane(V1Pod pod)
    {
        var annotations = pod.Metadata.Annotations ?? new Dictionary<string, string>();
        var injected = IsTrue(annotations, KumaAnnotations.SidecarInjected) || IsTrue(annotations, KumaAnnotations.ProxylessInjected);
        return injected
            && pod.Status?.Phase != "Succeeded"
            && pod.Status?.Reason != "Evicted"
            && !string.IsNullOrEmpty(pod.Status?.PodIP);
    }

    /// <summary>Services of the Pod's namespace whose (non-empty) selector matches it, less those marked <c>kuma.io/ignore</c>.</summary>
    public static List<V1Service> ServicesFor(V1Pod pod, IEnumerable<V1Service> services) =>
    [
        .. services
            .Where(s => s.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty)
            .Where(s => s.Spec?.Selector is { Count: > 0 })
            .Where(s => !IsTrue(s.Metadata.Annotations, KumaAnnotations.Ignore))
            .Where(s => InboundConverter.Selects(s, pod))
            .OrderBy(s => s.Metadata.Name, StringComparer.Ordinal),
    ];

    private static bool IsTrue(IDictionary<string, string>? values, string key) =>
        values is not null && values.TryGetValue(key, out var value) && value is "true" or "enabled" or "yes";
}
