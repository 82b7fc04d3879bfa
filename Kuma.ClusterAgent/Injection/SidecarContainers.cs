using System.Globalization;
using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Injection;

/// <summary>The kuma-sidecar and kuma-init containers and their scratch volumes, shaped as Kuma's injector shapes them.</summary>
internal static class SidecarContainers
{
    public const string SidecarName = "kuma-sidecar";
    public const string InitName = "kuma-init";
    private const string SidecarTmp = "kuma-sidecar-tmp";
    private const string InitTmp = "kuma-init-tmp";

    /// <summary>The secret holding the mesh's dataplane token in the pod's namespace (shared agent contract).</summary>
    public static string TokenSecretName(string mesh) => $"kuma-dp-token-{mesh}";
    public const string TokenSecretKey = "token";

    public static JsonObject Sidecar(InjectionOptions options, string mesh, IReadOnlyDictionary<string, string> annotations)
    {
        var adminPort = int.Parse(annotations[KumaAnnotations.EnvoyAdminPort], CultureInfo.InvariantCulture);
        var args = new JsonArray("run", "--log-level=info");
        if (Concurrency(options, annotations) is { } concurrency) args.Add($"--concurrency={concurrency}");
        return new JsonObject
        {
            ["name"] = SidecarName,
            ["image"] = options.SidecarImage,
            ["imagePullPolicy"] = "IfNotPresent",
            ["args"] = args,
            ["env"] = SidecarEnv(options, mesh, annotations),
            ["livenessProbe"] = ReadyProbe(adminPort, options.LivenessProbe with { SuccessThreshold = 1 }),
            ["readinessProbe"] = ReadyProbe(adminPort, options.ReadinessProbe),
            ["resources"] = new JsonObject
            {
                ["requests"] = new JsonObject
                {
                    ["cpu"] = options.SidecarResources.RequestCpu,
                    ["memory"] = options.SidecarResources.RequestMemory,
                    ["ephemeral-storage"] = "50M",
                },
                ["limits"] = Limits(options.SidecarResources, new JsonObject { ["ephemeral-storage"] = "1G" }),
            },
            ["securityContext"] = new JsonObject
            {
                ["runAsUser"] = options.SidecarUid,
                ["runAsGroup"] = options.SidecarGid,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                ["readOnlyRootFilesystem"] = true,
                ["allowPrivilegeEscalation"] = false,
            },
            ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = SidecarTmp, ["mountPath"] = "/tmp" }),
        };
    }

    public static JsonObject Init(InjectionOptions options, IReadOnlyDictionary<string, string> annotations) => new()
    {
        ["name"] = InitName,
        ["image"] = options.InitImage,
        ["imagePullPolicy"] = "IfNotPresent",
        ["command"] = new JsonArray("/usr/bin/kumactl", "install", "transparent-proxy"),
        ["args"] = new JsonArray([.. TransparentProxyArgs.For(annotations).Select(a => (JsonNode)a)]),
        // iptables takes its lock in a writable place; the root file system is read-only.
        ["env"] = new JsonArray(new JsonObject { ["name"] = "XTABLES_LOCKFILE", ["value"] = "/tmp/xtables.lock" }),
        ["securityContext"] = new JsonObject
        {
            ["runAsUser"] = 0,
            ["runAsGroup"] = 0,
            ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN", "NET_RAW"), ["drop"] = new JsonArray("ALL") },
            ["readOnlyRootFilesystem"] = true,
        },
        ["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = options.InitResources.RequestCpu, ["memory"] = options.InitResources.RequestMemory },
            ["limits"] = Limits(options.InitResources, new JsonObject()),
        },
        ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = InitTmp, ["mountPath"] = "/tmp" }),
    };

    public static IEnumerable<JsonObject> Volumes() =>
    [
        new JsonObject { ["name"] = InitTmp, ["emptyDir"] = new JsonObject { ["sizeLimit"] = "10M" } },
        new JsonObject { ["name"] = SidecarTmp, ["emptyDir"] = new JsonObject { ["sizeLimit"] = "10M" } },
    ];

    public static JsonObject FieldRef(string name, string fieldPath) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = fieldPath } },
    };

    public static JsonObject SecretRef(string name, string mesh) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = TokenSecretName(mesh), ["key"] = TokenSecretKey } },
    };

    private static JsonArray SidecarEnv(InjectionOptions options, string mesh, IReadOnlyDictionary<string, string> annotations)
    {
        var drainTime = annotations.TryGetValue(KumaAnnotations.SidecarDrainTime, out var drain)
            ? AnnotationValues.ParseGoDuration(KumaAnnotations.SidecarDrainTime, drain)
            : options.DrainTime;
        var env = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal)
        {
            ["INSTANCE_IP"] = FieldRef("INSTANCE_IP", "status.podIP"),
            ["KUMA_APPLICATION_PROBE_PROXY_PORT"] = Value("KUMA_APPLICATION_PROBE_PROXY_PORT", annotations[KumaAnnotations.ApplicationProbeProxyPort]),
            ["KUMA_CONTROL_PLANE_URL"] = Value("KUMA_CONTROL_PLANE_URL", options.DpServerUrl.ToString().TrimEnd('/')),
            ["KUMA_DATAPLANE_DRAIN_TIME"] = Value("KUMA_DATAPLANE_DRAIN_TIME", AnnotationValues.GoDuration(drainTime)),
            ["KUMA_DATAPLANE_MESH"] = Value("KUMA_DATAPLANE_MESH", mesh),
            ["KUMA_DATAPLANE_RUNTIME_OTEL_PIPE_ENABLED"] = Value("KUMA_DATAPLANE_RUNTIME_OTEL_PIPE_ENABLED", "false"),
            // Kuma's sidecar presents its service account token; the hosted control plane knows no cluster's service accounts,
            // so the sidecar presents the mesh's dataplane token from the agent's Secret instead.
            ["KUMA_DATAPLANE_RUNTIME_TOKEN"] = SecretRef("KUMA_DATAPLANE_RUNTIME_TOKEN", mesh),
            ["KUMA_DNS_ENABLED"] = Value("KUMA_DNS_ENABLED", "false"),
            ["POD_NAME"] = FieldRef("POD_NAME", "metadata.name"),
            ["POD_NAMESPACE"] = FieldRef("POD_NAMESPACE", "metadata.namespace"),
        };
        if (options.ControlPlaneCaPem is { } ca) env["KUMA_CONTROL_PLANE_CA_CERT"] = Value("KUMA_CONTROL_PLANE_CA_CERT", ca);
        var result = new JsonArray([.. env.Values]);
        // Last, because the kubelet expands $(VAR) from entries defined before it: the name the agent registered the pod under.
        result.Add(Value("KUMA_DATAPLANE_NAME", "$(POD_NAME).$(POD_NAMESPACE)"));
        return result;
    }

    private static JsonObject Value(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static JsonObject ReadyProbe(int port, ProbeTimings timings) => new()
    {
        ["httpGet"] = new JsonObject { ["path"] = "/ready", ["port"] = port },
        ["initialDelaySeconds"] = timings.InitialDelaySeconds,
        ["timeoutSeconds"] = timings.TimeoutSeconds,
        ["periodSeconds"] = timings.PeriodSeconds,
        ["successThreshold"] = timings.SuccessThreshold,
        ["failureThreshold"] = timings.FailureThreshold,
    };

    private static JsonObject Limits(ContainerResources resources, JsonObject extra)
    {
        extra["memory"] = resources.LimitMemory;
        if (CpuMillis(resources.LimitCpu) > 0) extra["cpu"] = resources.LimitCpu;
        return extra;
    }

    /// <summary>Envoy's worker count: the annotation, else the CPU limit in whole cores but at least 2, none without a limit.</summary>
    private static long? Concurrency(InjectionOptions options, IReadOnlyDictionary<string, string> annotations)
    {
        if (AnnotationValues.Port(annotations, KumaAnnotations.SidecarConcurrency) is { } fromPod) return fromPod;
        var millis = CpuMillis(options.SidecarResources.LimitCpu);
        return millis == 0 ? null : Math.Max(millis / 1000, 2);
    }

    /// <summary>A CPU quantity in millicores: "2", "0.5" or "1100m".</summary>
    internal static long CpuMillis(string quantity)
    {
        var text = quantity.Trim();
        var milli = text.EndsWith('m');
        var number = milli ? text[..^1] : text;
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw new InvalidOperationException($"'{quantity}' is not a CPU quantity");
        return (long)(milli ? value : value * 1000);
    }
}
