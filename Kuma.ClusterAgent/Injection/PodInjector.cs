using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kuma.ClusterAgent.Injection;

/// <summary>What the webhook does with one pod: the RFC 6902 operations (empty when the pod is left alone) and why.</summary>
internal sealed record InjectionResult(JsonArray Patch, string Kind, string? Mesh, string Reason)
{
    public static InjectionResult Skip(string reason) => new([], "none", null, reason);
}

/// <summary>
/// Decides whether and how a pod is injected (Kuma's selection rules plus our proxyless opt-in) and builds the patch.
/// Works on the pod's JSON as received, so fields this code does not model pass through untouched.
/// </summary>
internal sealed partial class PodInjector(InjectionOptions options, INamespaceLookup namespaces, DataplaneTokenSecrets secrets)
{
    public async Task<InjectionResult> InjectAsync(JsonObject pod, string @namespace, bool dryRun, CancellationToken cancellationToken)
    {
        if (pod["metadata"] is not JsonObject) throw new InjectionRefusedException("the pod has no metadata");
        if (pod["spec"] is not JsonObject) throw new InjectionRefusedException("the pod has no spec");
        var annotations = PodJson.StringMap(pod, "annotations");
        var labels = PodJson.StringMap(pod, "labels");
        var containers = PodJson.Objects(pod, "containers");
        var initContainers = PodJson.Objects(pod, "initContainers");

        if (annotations.GetValueOrDefault(KumaAnnotations.SidecarInjected) == "true" || annotations.GetValueOrDefault(KumaAnnotations.ProxylessInjected) == "true"
            || containers.Concat(initContainers).Any(c => PodJson.Name(c) == SidecarContainers.SidecarName))
            return InjectionResult.Skip("already injected");

        var proxyless = Enabled(labels, annotations, KumaAnnotations.Proxyless);
        var podInjection = Enabled(labels, annotations, KumaAnnotations.SidecarInjection);
        if (podInjection == false) return InjectionResult.Skip($"{KumaAnnotations.SidecarInjection} is disabled on the pod");

        var ns = await namespaces.FindAsync(@namespace, cancellationToken);
        var nsLabels = ns?.Metadata?.Labels ?? new Dictionary<string, string>();
        var nsAnnotations = ns?.Metadata?.Annotations ?? new Dictionary<string, string>();
        if (proxyless != true && podInjection != true && Enabled(nsLabels, nsAnnotations, KumaAnnotations.SidecarInjection) != true)
            return InjectionResult.Skip("neither the pod nor its namespace enables injection");

        var mesh = MeshOf(labels, annotations, nsLabels, nsAnnotations);
        var result = proxyless == true
            ? Proxyless(pod, annotations, labels, containers, mesh)
            : Sidecar(pod, annotations, labels, containers, initContainers, mesh);
        // Only once the pod is known to be injectable: a refused pod leaves nothing behind, nor does a dry run.
        if (!dryRun) await secrets.EnsureAsync(@namespace, mesh, cancellationToken);
        return result;
    }

    private InjectionResult Sidecar(JsonObject pod, Dictionary<string, string> annotations, Dictionary<string, string> labels,
        List<JsonObject> containers, List<JsonObject> initContainers, string mesh)
    {
        if (annotations.ContainsKey(KumaAnnotations.Gateway) || labels.ContainsKey(KumaAnnotations.Gateway))
            throw new InjectionRefusedException($"{KumaAnnotations.Gateway} pods (builtin and delegated gateways) are not supported by this agent");
        if (containers.Count == 1 && !annotations.ContainsKey(KumaAnnotations.DefaultContainer) && PodJson.Name(containers[0]) is { } only)
            annotations[KumaAnnotations.DefaultContainer] = only;
        foreach (var (key, value) in SidecarAnnotations.For(annotations, options)) annotations[key] = value;
        labels[KumaAnnotations.Mesh] = mesh;

        var appContainers = containers.Select(c => (JsonObject)c.DeepClone()).ToList();
        var probeProxyPort = AnnotationValues.Port(annotations, KumaAnnotations.ApplicationProbeProxyPort) ?? 0;
        if (probeProxyPort > 0) ProbeRewriter.ToApplicationProbeProxy(appContainers, probeProxyPort);
        else if (annotations[KumaAnnotations.VirtualProbes] == KumaAnnotations.Enabled)
            ProbeRewriter.ToVirtualProbes(appContainers, AnnotationValues.Port(annotations, KumaAnnotations.VirtualProbesPort) ?? options.VirtualProbesPort);

        var init = SidecarContainers.Init(options, annotations);
        var initFirst = Enabled(labels, annotations, KumaAnnotations.InitFirst) == true;
        List<JsonObject> inits = initFirst ? [init, .. initContainers] : [.. initContainers, init];
        var patch = new JsonArray(
            PodJson.Add("/metadata/annotations", PodJson.MapOf(annotations)),
            PodJson.Add("/metadata/labels", PodJson.MapOf(labels)),
            PodJson.Add("/spec/volumes", PodJson.ArrayOf([.. PodJson.Objects(pod, "volumes"), .. SidecarContainers.Volumes()])),
            PodJson.Add("/spec/initContainers", PodJson.ArrayOf(inits)),
            PodJson.Add("/spec/containers", PodJson.ArrayOf([SidecarContainers.Sidecar(options, mesh, annotations), .. appContainers])));
        return new InjectionResult(patch, "sidecar", mesh, "injected");
    }

    private InjectionResult Proxyless(JsonObject pod, Dictionary<string, string> annotations, Dictionary<string, string> labels, List<JsonObject> containers, string mesh)
    {
        annotations[KumaAnnotations.ProxylessInjected] = "true";
        labels[KumaAnnotations.Mesh] = mesh;
        var mountCa = options.DpServerUrl.Scheme == "https" && options.ControlPlaneCaPem is not null;
        var env = ProxylessBootstrap.Env(options, mesh);
        var patched = new List<JsonObject>(containers.Count);
        foreach (var container in containers)
        {
            var copy = (JsonObject)container.DeepClone();
            // Ours come first so the bootstrap's $(VAR)s resolve; the container's own entries of these names would shadow them.
            var own = copy["env"] as JsonArray ?? [];
            var kept = own.OfType<JsonObject>().Where(e => !ProxylessBootstrap.EnvNames.Contains(e["name"]?.GetValue<string>() ?? ""));
            copy["env"] = new JsonArray([.. env.Select(e => (JsonNode)e.DeepClone()), .. kept.Select(e => e.DeepClone())]);
            if (mountCa)
            {
                var mounts = copy["volumeMounts"] as JsonArray ?? [];
                copy["volumeMounts"] = new JsonArray([.. mounts.Select(m => m?.DeepClone()), ProxylessBootstrap.CaMount()]);
            }
            patched.Add(copy);
        }
        var patch = new JsonArray(
            PodJson.Add("/metadata/annotations", PodJson.MapOf(annotations)),
            PodJson.Add("/metadata/labels", PodJson.MapOf(labels)),
            PodJson.Add("/spec/containers", PodJson.ArrayOf(patched)));
        if (mountCa) patch.Add(PodJson.Add("/spec/volumes", PodJson.ArrayOf([.. PodJson.Objects(pod, "volumes"), ProxylessBootstrap.CaVolumeOf(mesh)])));
        return new InjectionResult(patch, "proxyless", mesh, "injected");
    }

    /// <summary>The pod's mesh: its label or annotation, else its namespace's, else "default".</summary>
    private static string MeshOf(Dictionary<string, string> labels, Dictionary<string, string> annotations, IDictionary<string, string> nsLabels, IDictionary<string, string> nsAnnotations)
    {
        var mesh = new[] { labels, annotations, nsLabels, nsAnnotations }
            .Select(map => map.TryGetValue(KumaAnnotations.Mesh, out var value) ? value.Trim() : null)
            .FirstOrDefault(value => !string.IsNullOrEmpty(value)) ?? "default";
        return MeshName().IsMatch(mesh) ? mesh : throw new InjectionRefusedException($"{KumaAnnotations.Mesh} '{mesh}' is not a valid mesh name");
    }

    /// <summary>A label wins over the annotation of the same key, as in Kuma.</summary>
    private static bool? Enabled(IDictionary<string, string> labels, IDictionary<string, string> annotations, string key)
    {
        var text = labels.TryGetValue(key, out var fromLabel) ? fromLabel : annotations.TryGetValue(key, out var fromAnnotation) ? fromAnnotation : null;
        if (text is null) return null;
        return KumaAnnotations.ParseEnabled(text) ?? throw new InjectionRefusedException($"{key}: '{text}' is neither enabled nor disabled");
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex MeshName();
}
