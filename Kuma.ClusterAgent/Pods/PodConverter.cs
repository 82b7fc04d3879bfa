using System.Text.Json;
using k8s.Models;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.ClusterAgent.Pods;

/// <summary>
/// Pod (with the Services selecting it and its Namespace) to Dataplane, as Kuma's pod converter derives it: pure, no I/O.
/// Outbounds are not derived (this control plane hands out VIP outbounds itself), nor gateways or zone proxies.
/// </summary>
internal static class PodConverter
{
    public const string DefaultMesh = "default";

    /// <summary>The Dataplane of <paramref name="pod"/>; a <see cref="PodConversionException"/> when its annotations are invalid.</summary>
    public static PodDataplane Convert(V1Pod pod, IReadOnlyList<V1Service> services, V1Namespace? ns, string zone)
    {
        var annotations = new AnnotationValues(pod.Metadata.Annotations);
        if (annotations.String(KumaAnnotations.Gateway) is not null)
            throw new PodConversionException($"annotation \"{KumaAnnotations.Gateway}\": gateway pods are not supported by the cluster agent");
        var proxyless = IsProxyless(pod);
        var networking = new DataplaneNetworking
        {
            Address = pod.Status?.PodIP,
            Inbound = InboundConverter.For(pod, services, zone),
        };
        if (!proxyless)
        {
            networking.TransparentProxying = TransparentProxyingFor(annotations);
            if (annotations.UInt32(KumaAnnotations.EnvoyAdminPort) is { } adminPort) networking.Admin = new DataplaneAdmin { Port = adminPort };
        }
        var spec = new DataplaneSpec
        {
            Networking = networking,
            Metrics = MetricsFor(annotations),
            Probes = proxyless ? null : ProbeConverter.For(pod, annotations),
        };
        var mesh = MeshOf(pod, ns);
        return new PodDataplane(NameOf(pod), mesh, spec, LabelsFor(pod, zone));
    }

    public static string NameOf(V1Pod pod) => $"{pod.Metadata.Name}.{pod.Metadata.NamespaceProperty}";

    /// <summary>Kuma's order: the Pod's label, its (deprecated) annotation, then the Namespace's label and annotation.</summary>
    public static string MeshOf(V1Pod pod, V1Namespace? ns) =>
        NonEmpty(pod.Metadata.Labels, KumaAnnotations.Mesh)
        ?? NonEmpty(pod.Metadata.Annotations, KumaAnnotations.Mesh)
        ?? NonEmpty(ns?.Metadata?.Labels, KumaAnnotations.Mesh)
        ?? NonEmpty(ns?.Metadata?.Annotations, KumaAnnotations.Mesh)
        ?? DefaultMesh;

    public static bool IsProxyless(V1Pod pod) =>
        NonEmpty(pod.Metadata.Annotations, KumaAnnotations.ProxylessInjected) == "true"
        || NonEmpty(pod.Metadata.Annotations, KumaAnnotations.Proxyless) == "enabled"
        || NonEmpty(pod.Metadata.Labels, KumaAnnotations.Proxyless) == "enabled";

    /// <summary>The Pod's own labels, its namespace and service account (as Kuma labels them), then the agent's contract labels.</summary>
    private static SortedDictionary<string, string> LabelsFor(V1Pod pod, string zone)
    {
        var labels = new SortedDictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        labels[KumaTags.KubeNamespace] = pod.Metadata.NamespaceProperty;
        if (pod.Spec?.ServiceAccountName is { Length: > 0 } serviceAccount) labels[AgentLabels.ServiceAccount] = serviceAccount;
        labels[AgentLabels.Zone] = zone;
        labels[AgentLabels.Origin] = AgentLabels.OriginZone;
        labels[AgentLabels.ManagedBy] = AgentLabels.ClusterAgent;
        return labels;
    }

    private static TransparentProxying? TransparentProxyingFor(AnnotationValues annotations)
    {
        var configured = annotations.String(KumaAnnotations.TransparentProxyConfig) is { Length: > 0 };
        var enabled = annotations.Enabled(KumaAnnotations.TransparentProxying) == true;
        if (!configured && !enabled) return null;
        var tp = new TransparentProxying
        {
            DirectAccessServices = annotations.List(KumaAnnotations.DirectAccessServices),
            ReachableServices = annotations.List(KumaAnnotations.ReachableServices),
            ReachableBackends = ReachableBackendsFor(annotations),
        };
        if (enabled)
        {
            tp.RedirectPortInbound = annotations.UInt32(KumaAnnotations.InboundRedirectPort)
                ?? throw new PodConversionException("transparent proxying inbound port has to be set in transparent mode");
            tp.RedirectPortOutbound = annotations.UInt32(KumaAnnotations.OutboundRedirectPort)
                ?? throw new PodConversionException("transparent proxying outbound port has to be set in transparent mode");
            tp.IpFamilyMode = (annotations.String(KumaAnnotations.IpFamilyMode) ?? "dualstack") switch
            {
                "dualstack" => "DualStack",
                "ipv4" => "IPv4",
                var other => throw new PodConversionException($"invalid ip family mode '{other}'"),
            };
        }
        var empty = tp is { DirectAccessServices: null, ReachableServices: null, ReachableBackends: null, RedirectPortInbound: null or 0, RedirectPortOutbound: null or 0, IpFamilyMode: null };
        return empty ? null : tp;
    }

    private static readonly JsonSerializerOptions CamelCase = new(JsonSerializerDefaults.Web);

    private static ReachableBackends? ReachableBackendsFor(AnnotationValues annotations)
    {
        if (annotations.String(KumaAnnotations.ReachableBackends) is not { } yaml) return null;
        try
        {
            return YamlToJson.Convert(yaml).Deserialize<ReachableBackends>(CamelCase) ?? new ReachableBackends();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or YamlDotNet.Core.YamlException)
        {
            throw new PodConversionException($"cannot parse, {KumaAnnotations.ReachableBackends} has invalid format");
        }
    }

    /// <summary>Kuma's Prometheus backend from the pod's port and path annotations (aggregation is not carried over).</summary>
    private static DataplaneMetrics? MetricsFor(AnnotationValues annotations)
    {
        var path = annotations.String(KumaAnnotations.MetricsPath);
        var port = annotations.UInt32(KumaAnnotations.MetricsPort);
        if (path is null && port is null) return null;
        var conf = new System.Text.Json.Nodes.JsonObject();
        if (path is { Length: > 0 }) conf["path"] = path;
        if (port is { } p and > 0) conf["port"] = p;
        return new DataplaneMetrics { Type = "prometheus", Conf = conf };
    }

    private static string? NonEmpty(IDictionary<string, string>? values, string key) =>
        values is not null && values.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
}
