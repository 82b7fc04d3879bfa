using System.Globalization;
using k8s.Models;
using Kuma.Resources.Core;

namespace Kuma.ClusterAgent.Pods;

/// <summary>
/// Virtual probes: Kuma's injector rewrote each HTTP probe to <c>:&lt;virtual port&gt;/&lt;real port&gt;/&lt;path&gt;</c>; the
/// Dataplane lists the way back, so kuma-dp can forward the kubelet's probe to the application.
/// </summary>
internal static class ProbeConverter
{
    public static DataplaneProbes? For(V1Pod pod, AnnotationValues annotations)
    {
        if (annotations.Enabled(KumaAnnotations.VirtualProbes) != true) return null;
        var port = annotations.UInt32(KumaAnnotations.VirtualProbesPort)
            ?? throw new PodConversionException($"{KumaAnnotations.VirtualProbesPort} annotation doesn't exist");
        var probeProxyPort = annotations.UInt32(KumaAnnotations.ApplicationProbeProxyPort) ?? 0;
        var probes = new DataplaneProbes { Port = port };
        foreach (var container in ContainersNeedingProbes(pod))
        {
            foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe })
            {
                if (probe?.HttpGet is not { } get) continue;
                if (EndpointFor(get, port, probeProxyPort) is { } endpoint) (probes.Endpoints ??= []).Add(endpoint);
            }
        }
        return probes;
    }

    /// <summary>The application's containers, and native sidecars (restartPolicy Always) started after kuma-sidecar.</summary>
    private static IEnumerable<V1Container> ContainersNeedingProbes(V1Pod pod)
    {
        var afterSidecar = false;
        foreach (var init in pod.Spec?.InitContainers ?? [])
        {
            if (init.Name == KumaAnnotations.SidecarContainerName) afterSidecar = true;
            else if (afterSidecar && init.RestartPolicy == "Always") yield return init;
        }
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            if (container.Name != KumaAnnotations.SidecarContainerName) yield return container;
        }
    }

    private static ProbeEndpoint? EndpointFor(V1HTTPGetAction get, uint virtualPort, uint probeProxyPort)
    {
        var probePort = uint.TryParse(get.Port?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
        // Probes sent through the application probe proxy count as sent to the virtual port.
        if (probeProxyPort > 0 && probePort == probeProxyPort) probePort = virtualPort;
        if (probePort != virtualPort)
            throw new PodConversionException($"unable to convert virtual probe to real: probe's port {probePort} should be equal to virtual port {virtualPort}");
        var path = get.Path ?? "";
        var segments = path.Split('/');
        if (segments.Length < 2 || segments[0].Length != 0)
            throw new PodConversionException("unable to convert virtual probe to real: not enough segments in probe's path");
        if (segments[1] is "tcp" or "grpc") return null;
        if (!uint.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var realPort))
            throw new PodConversionException($"unable to convert virtual probe to real: invalid port value {segments[1]}");
        return new ProbeEndpoint { InboundPort = realPort, InboundPath = "/" + string.Join('/', segments[2..]), Path = path };
    }
}
