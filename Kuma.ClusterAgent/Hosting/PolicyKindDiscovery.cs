using k8s;
using Kuma.ClusterAgent.Sync;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>
/// The policy kinds to watch: the kuma.io/v1alpha1 CRDs installed in the cluster, less the types the agent itself
/// derives or does not sync (Mesh, Dataplane, zone proxies, secrets).
/// </summary>
internal static class PolicyKindDiscovery
{
    private static readonly HashSet<string> NotPolicies = new(
        ["Mesh", "Dataplane", "DataplaneInsight", "ZoneIngress", "ZoneEgress", "Secret", "GlobalSecret", "Tenant", "MeshGateway"], StringComparer.Ordinal);

    public static async Task<List<PolicyKind>> DiscoverAsync(IKubernetes kubernetes, CancellationToken ct)
    {
        var crds = await kubernetes.ApiextensionsV1.ListCustomResourceDefinitionAsync(cancellationToken: ct);
        return
        [
            .. crds.Items
                .Where(crd => crd.Spec.Group == KumaCustomObject.Group && crd.Spec.Scope == "Namespaced")
                .Where(crd => crd.Spec.Versions.Any(v => v.Name == KumaCustomObject.Version && v.Served))
                .Where(crd => !NotPolicies.Contains(crd.Spec.Names.Kind))
                .Select(crd => new PolicyKind(crd.Spec.Names.Kind, crd.Spec.Names.Plural))
                .OrderBy(kind => kind.Kind, StringComparer.Ordinal),
        ];
    }
}
