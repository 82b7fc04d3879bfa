using k8s.Models;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>Every manifest under k8s/ reads as KubernetesClient's typed models, file by file and as kustomize builds them.</summary>
public sealed class ManifestParsingTests
{
    /// <summary>Kustomizations are kustomize's input, not objects; each is built by the tests below.</summary>
    private static IEnumerable<string> ManifestFiles() =>
        Directory.EnumerateFiles(KubernetesManifests.Root, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Every_manifest_file_reads_as_typed_kubernetes_objects()
    {
        var failures = new List<string>();
        var read = 0;
        foreach (var file in ManifestFiles())
        {
            var relative = Path.GetRelativePath(KubernetesManifests.Root, file);
            try
            {
                var objects = KubernetesManifests.Load(File.ReadAllText(file), relative);
                if (objects.Count == 0) failures.Add($"{relative}: no document");
                read += objects.Count;
            }
            catch (InvalidOperationException e)
            {
                failures.Add(e.Message);
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(read >= 30, $"only {read} objects were read under k8s/");
    }

    [Fact]
    public void An_unknown_kind_or_field_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => KubernetesManifests.Load("apiVersion: v1\nkind: Podd\nmetadata:\n  name: x\n", "typo in kind"));
        Assert.Throws<InvalidOperationException>(() => KubernetesManifests.Load("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n", "typo in field"));
    }

    [Theory]
    [InlineData("", new[] { "ClusterRole:", "ClusterRoleBinding:" })]
    [InlineData("dev", new[] { "ClusterRole:", "ClusterRoleBinding:" })]
    [InlineData("cluster-agent", new[] { "Role:", "RoleBinding:", "PodDisruptionBudget:" })]
    public async Task Each_kustomization_builds_offline_into_typed_objects(string folder, string[] absentKinds)
    {
        var objects = await KubernetesManifests.BuildAsync(folder);
        var kinds = objects.Select(o => o.Kind + ":").ToHashSet();
        Assert.Equal([], absentKinds.Where(kinds.Contains));
        // Everything namespaced lands in kuma-system.
        var namespaced = objects.Where(o => o is not (V1Namespace or V1CustomResourceDefinition or V1ClusterRole or V1ClusterRoleBinding or V1MutatingWebhookConfiguration));
        Assert.Equal([], namespaced.Where(o => o.Metadata.NamespaceProperty != "kuma-system").Select(o => $"{o.Kind}/{o.Metadata.Name}"));
    }

    [Fact]
    public async Task The_control_plane_kustomization_holds_the_expected_objects()
    {
        var objects = await KubernetesManifests.BuildAsync("");
        var described = objects.Where(o => o is not V1CustomResourceDefinition).Select(o => $"{o.Kind}/{o.Metadata.Name}").Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "ConfigMap/" + KubernetesManifests.Generated<V1ConfigMap>(objects, "kuma-control-plane-config").Metadata.Name,
            "Deployment/kuma-gateway",
            "Deployment/kuma-silo",
            "Namespace/kuma-system",
            "PodDisruptionBudget/kuma-gateway",
            "PodDisruptionBudget/kuma-silo",
            "Role/kuma-control-plane",
            "RoleBinding/kuma-control-plane",
            "Service/kuma-control-plane",
            "ServiceAccount/kuma-control-plane",
        ], described);
        Assert.Equal(Directory.EnumerateFiles(Path.Combine(KubernetesManifests.Root, "crds"), "kuma.io_*.yaml").Count(), objects.OfType<V1CustomResourceDefinition>().Count());
    }

    [Fact]
    public async Task The_dev_kustomization_adds_a_postgres_marked_not_for_production()
    {
        var objects = await KubernetesManifests.BuildAsync("dev");
        var added = objects.Where(o => o.Metadata.Name.StartsWith("kuma-postgres", StringComparison.Ordinal)).Select(o => o.Kind).Order(StringComparer.Ordinal);
        Assert.Equal(["Secret", "Service", "StatefulSet"], added);
        foreach (var o in objects.Where(o => o.Metadata.Name.StartsWith("kuma-postgres", StringComparison.Ordinal)))
            Assert.Equal("true", o.Metadata.Labels?["kuma-orleans.io/not-for-production"]);
        var postgres = KubernetesManifests.Single<V1StatefulSet>(objects, "kuma-postgres");
        Assert.Equal(1, postgres.Spec.Replicas);
        var config = KubernetesManifests.Generated<V1ConfigMap>(objects, "kuma-control-plane-config");
        Assert.Equal("kuma-postgres", config.Data["KUMA_STORE_POSTGRES_HOST"]);
    }
}
