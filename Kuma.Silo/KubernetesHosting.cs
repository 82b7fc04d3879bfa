using System.Net;
using Kuma.Configuration;

namespace Kuma.Silo;

/// <summary>The pod a silo runs in, as the downward API hands it over (see k8s/control-plane/silo.yaml).</summary>
public sealed record KubernetesSiloIdentity(string PodName, string PodNamespace, IPAddress PodIp);

/// <summary>
/// <c>KUMA_CLUSTER_KUBERNETES_HOSTING=true</c>: Orleans' Kubernetes hosting names the silo after its pod, advertises the
/// pod's IP, and removes silos whose pods are gone (and pods whose silos died). Membership stays in PostgreSQL: the
/// package watches pods, it is no membership table. The checks here fail the start with the variable to fix instead of
/// letting the package fail later with its own option names.
/// </summary>
public static class KubernetesHosting
{
    public const string Setting = "KUMA_CLUSTER_KUBERNETES_HOSTING";

    // Orleans' package reads these names from the environment itself; they are not KUMA_* settings.
    public const string PodNameVariable = "POD_NAME";
    public const string PodNamespaceVariable = "POD_NAMESPACE";
    public const string PodIpVariable = "POD_IP";
    public const string OrleansClusterIdVariable = "ORLEANS_CLUSTER_ID";
    public const string OrleansServiceIdVariable = "ORLEANS_SERVICE_ID";

    /// <returns>Null when the setting is off; otherwise the pod's identity, every combination checked.</returns>
    public static KubernetesSiloIdentity? From(KumaSettings settings, StoreOptions store, KumaClusterOptions cluster, Func<string, string?> environment)
    {
        if (!settings.GetBool(Setting, false)) return null;
        if (store.Type != StoreType.Postgres)
            throw new KumaConfigurationException($"{Setting}=true keeps silo membership in PostgreSQL: set KUMA_STORE_TYPE=postgres");

        var podName = Required(environment, PodNameVariable, "metadata.name");
        var podNamespace = Required(environment, PodNamespaceVariable, "metadata.namespace");
        var rawIp = Required(environment, PodIpVariable, "status.podIP");
        if (!IPAddress.TryParse(rawIp, out var podIp))
            throw new KumaConfigurationException($"{PodIpVariable} must be an IP address (the downward API's status.podIP), got '{rawIp}'");

        // The pod's IP is what other silos can reach; a different advertised address would split the cluster's view.
        if (settings.Get("KUMA_CLUSTER_ADVERTISED_ADDRESS") is { } advertised && !(IPAddress.TryParse(advertised, out var address) && address.Equals(podIp)))
            throw new KumaConfigurationException($"KUMA_CLUSTER_ADVERTISED_ADDRESS ({advertised}) differs from {PodIpVariable} ({rawIp}): with {Setting}=true the silo advertises its pod's IP; unset KUMA_CLUSTER_ADVERTISED_ADDRESS");

        // KUMA_CLUSTER_ID / _SERVICE_ID stay authoritative; Orleans' own variables may only agree with them.
        RequireAgreement(environment, OrleansClusterIdVariable, "KUMA_CLUSTER_ID", cluster.ClusterId);
        RequireAgreement(environment, OrleansServiceIdVariable, "KUMA_CLUSTER_SERVICE_ID", cluster.ServiceId);
        return new KubernetesSiloIdentity(podName, podNamespace, podIp);
    }

    private static string Required(Func<string, string?> environment, string variable, string fieldPath) =>
        environment(variable) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new KumaConfigurationException($"{Setting}=true needs {variable} (the downward API's {fieldPath}) in the environment");

    private static void RequireAgreement(Func<string, string?> environment, string orleansVariable, string kumaSetting, string kumaValue)
    {
        if (environment(orleansVariable) is { Length: > 0 } value && !string.Equals(value, kumaValue, StringComparison.Ordinal))
            throw new KumaConfigurationException($"{orleansVariable} ({value}) differs from {kumaSetting} ({kumaValue}): set only {kumaSetting}");
    }
}
