namespace Kuma.ClusterAgent.Pods;

/// <summary>Labels the agent puts on what it writes; it only ever changes resources carrying its owner label and its zone.</summary>
internal static class AgentLabels
{
    public const string Zone = "kuma.io/zone";
    public const string Origin = "kuma.io/origin";
    public const string OriginZone = "zone";
    public const string ManagedBy = "kuma.io/managed-by";
    public const string ClusterAgent = "cluster-agent";
    public const string KubeNamespace = "k8s.kuma.io/namespace";
    public const string ServiceAccount = "k8s.kuma.io/service-account";
}
