using System.Globalization;
using k8s.Models;
using Kuma.Resources.Core;

namespace Kuma.ClusterAgent.Pods;

/// <summary>
/// Inbounds per Service port as Kuma's inbound converter makes them (its "legacy" path, with inbound tags): one per
/// TCP port of each Service, or one service-less inbound on port 49151 when no Service gives the Pod any.
/// </summary>
internal static class InboundConverter
{
    /// <summary>Kuma's reserved port for the inbound of a Pod without Services.</summary>
    public const uint ServicelessPort = 49151;

    public static List<DataplaneInbound> For(V1Pod pod, IReadOnlyList<V1Service> services, string zone)
    {
        var inbounds = new List<DataplaneInbound>();
        foreach (var service in services)
        {
            // ExternalName Services point outside the cluster; Kuma skips them even when a selector matches.
            if (service.Spec?.Type == "ExternalName") continue;
            inbounds.AddRange(ForService(pod, service, zone));
        }
        if (inbounds.Count == 0) inbounds.Add(Serviceless(pod, zone));
        return inbounds;
    }

    private static IEnumerable<DataplaneInbound> ForService(V1Pod pod, V1Service service, string zone)
    {
        foreach (var port in service.Spec?.Ports ?? [])
        {
            if (port.Protocol is { Length: > 0 } protocol && protocol != "TCP") continue;
            if (FindPort(pod, port) is not { } found) continue;
            var ready = PodReady(pod, found.Container);
            var selected = Selects(service, pod);
            var protocolTag = ProtocolFor(service, port);
            yield return new DataplaneInbound
            {
                Port = found.Port,
                Name = found.Name,
                Tags = TagsForService(pod, service, port, zone, protocolTag),
                // Kuma omits the default state (Ready); an inbound the Service no longer selects is Ignored.
                State = !selected ? "Ignored" : ready ? null : "NotReady",
                Health = new InboundHealth { Ready = ready && selected },
                Protocol = protocolTag,
            };
        }
    }

    private static DataplaneInbound Serviceless(V1Pod pod, string zone)
    {
        var ready = true;
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            if (container.Name != KumaAnnotations.SidecarContainerName && StatusOf(pod, container.Name, includeInit: false) is { Ready: false }) ready = false;
        }
        if (StatusOf(pod, KumaAnnotations.SidecarContainerName, includeInit: true) is { Ready: false }) ready = false;
        var tags = NonEmptyLabels(pod);
        tags[KumaTags.KubeNamespace] = pod.Metadata.NamespaceProperty;
        tags[KumaTags.Service] = $"{WorkloadName(pod)}_{pod.Metadata.NamespaceProperty}_svc";
        if (zone.Length > 0) tags[KumaTags.Zone] = zone;
        tags[KumaTags.Protocol] = "tcp";
        tags[KumaTags.Instance] = pod.Metadata.Name;
        return new DataplaneInbound
        {
            Port = ServicelessPort,
            Tags = tags,
            State = ready ? null : "NotReady",
            Health = new InboundHealth { Ready = ready },
            Protocol = "tcp",
        };
    }

    /// <summary>
    /// The name Kuma gives a service-less Pod: its owner's. Kuma reads the ReplicaSet to find its Deployment; the agent
    /// does not watch ReplicaSets, so it strips the Pod's <c>pod-template-hash</c> from the ReplicaSet's name, which is
    /// how the Deployment controller names ReplicaSets.
    /// </summary>
    public static string WorkloadName(V1Pod pod)
    {
        foreach (var owner in pod.Metadata.OwnerReferences ?? [])
        {
            if (owner.Kind == "ReplicaSet")
            {
                var hash = pod.Metadata.Labels is { } labels && labels.TryGetValue("pod-template-hash", out var h) ? h : null;
                return hash is not null && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal) ? owner.Name[..^(hash.Length + 1)] : owner.Name;
            }
            return owner.Name;
        }
        return pod.Metadata.Name;
    }

    private static Dictionary<string, string> TagsForService(V1Pod pod, V1Service service, V1ServicePort port, string zone, string protocol)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pod.Metadata.Labels ?? new Dictionary<string, string>())
        {
            // Kuma keeps its own labels (kuma.io/...) off the tags.
            if (value.Length == 0 || key.Contains("kuma.io/", StringComparison.Ordinal)) continue;
            tags[key] = value;
        }
        var portText = port.Port.ToString(CultureInfo.InvariantCulture);
        tags[KumaTags.KubeNamespace] = pod.Metadata.NamespaceProperty;
        tags[KumaTags.KubeServiceName] = service.Metadata.Name;
        tags[KumaTags.KubeServicePort] = portText;
        tags[KumaTags.Service] = $"{service.Metadata.Name}_{service.Metadata.NamespaceProperty}_svc_{portText}";
        if (zone.Length > 0) tags[KumaTags.Zone] = zone;
        tags[KumaTags.Protocol] = protocol;
        if (IsHeadless(service)) tags[KumaTags.Instance] = pod.Metadata.Name;
        return tags;
    }

    private static bool IsHeadless(V1Service service) => service.Spec?.ClusterIP == "None";

    /// <summary><c>appProtocol</c> when Kuma knows it, else the <c>&lt;port&gt;.service.kuma.io/protocol</c> annotation, else tcp.</summary>
    public static string ProtocolFor(V1Service service, V1ServicePort port)
    {
        var value = port.AppProtocol is { } app && KnownProtocols.Contains(app.ToLowerInvariant()) ? app : "";
        if (value.Length == 0 && service.Metadata.Annotations is { } annotations
            && annotations.TryGetValue($"{port.Port.ToString(CultureInfo.InvariantCulture)}.service.kuma.io/protocol", out var annotated))
            value = annotated;
        return (value.Length == 0 ? "tcp" : value).ToLowerInvariant();
    }

    private static readonly HashSet<string> KnownProtocols = new(["http", "http2", "tcp", "tls", "grpc", "kafka", "mysql"], StringComparer.Ordinal);

    private sealed record FoundPort(uint Port, string? Name, V1Container? Container);

    /// <summary>A named target port must be declared by a container; a numeric one need not be.</summary>
    private static FoundPort? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value ?? servicePort.Port.ToString(CultureInfo.InvariantCulture);
        var protocol = servicePort.Protocol is { Length: > 0 } p ? p : "TCP";
        var numeric = int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number);
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            foreach (var port in container.Ports ?? [])
            {
                var portProtocol = port.Protocol is { Length: > 0 } pp ? pp : "TCP";
                if (portProtocol != protocol) continue;
                if (numeric ? port.ContainerPort == number : port.Name == target)
                    return new FoundPort((uint)port.ContainerPort, port.Name is { Length: > 0 } ? port.Name : null, container);
            }
        }
        return numeric ? new FoundPort((uint)number, null, null) : null;
    }

    /// <summary>Not ready when the serving container or kuma-sidecar is not ready, or the Pod is terminating.</summary>
    private static bool PodReady(V1Pod pod, V1Container? container)
    {
        if (container is not null && StatusOf(pod, container.Name, includeInit: false) is { Ready: false }) return false;
        if (StatusOf(pod, KumaAnnotations.SidecarContainerName, includeInit: true) is { Ready: false }) return false;
        return pod.Metadata.DeletionTimestamp is null;
    }

    private static V1ContainerStatus? StatusOf(V1Pod pod, string name, bool includeInit)
    {
        var statuses = (pod.Status?.ContainerStatuses ?? []).AsEnumerable();
        if (includeInit) statuses = statuses.Concat(pod.Status?.InitContainerStatuses ?? []);
        return statuses.FirstOrDefault(s => s.Name == name);
    }

    /// <summary>Equality-based selector match, as Kubernetes routes a Service's traffic.</summary>
    public static bool Selects(V1Service service, V1Pod pod)
    {
        var selector = service.Spec?.Selector;
        var labels = pod.Metadata.Labels ?? new Dictionary<string, string>();
        return selector is null || selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
    }

    private static Dictionary<string, string> NonEmptyLabels(V1Pod pod) =>
        (pod.Metadata.Labels ?? new Dictionary<string, string>()).Where(pair => pair.Value.Length > 0).ToDictionary(StringComparer.Ordinal);
}
