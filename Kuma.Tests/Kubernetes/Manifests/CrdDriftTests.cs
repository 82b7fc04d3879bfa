using k8s.Models;
using Kuma.Kumactl;
using Kuma.Kumactl.Install;
using Kuma.Policies;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>k8s/crds is exactly what <c>kumactl install crds</c> makes from the resource descriptors now.</summary>
public sealed class CrdDriftTests
{
    private const string Regenerate = "the CRDs drifted from the resource types: run scripts/generate-crds.sh and commit k8s/crds";

    [Fact]
    public async Task The_committed_crds_equal_what_the_generator_writes()
    {
        var generated = Path.Combine(Path.GetTempPath(), "kuma-crds-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            using var errors = new StringWriter();
            var exit = await global::Kuma.Kumactl.Kumactl.RunAsync(["install", "crds", "--output-dir", generated], new KumactlEnvironment { Out = output, Err = errors });
            Assert.Equal((0, ""), (exit, errors.ToString()));

            var committedDirectory = Path.Combine(KubernetesManifests.Root, "crds");
            var expected = Contents(generated);
            var committed = Contents(committedDirectory);
            var differing = expected.Keys.Union(committed.Keys).Order(StringComparer.Ordinal)
                .Where(f => expected.GetValueOrDefault(f) != committed.GetValueOrDefault(f))
                .Select(f => !committed.ContainsKey(f) ? $"{f}: missing" : !expected.ContainsKey(f) ? $"{f}: not generated any more" : $"{f}: differs")
                .ToList();
            Assert.True(differing.Count == 0, $"{Regenerate}\n{string.Join('\n', differing)}");
        }
        finally
        {
            if (Directory.Exists(generated)) Directory.Delete(generated, recursive: true);
        }
    }

    private static Dictionary<string, string> Contents(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllText, StringComparer.Ordinal);

    [Fact]
    public async Task Printing_them_gives_the_same_crds_as_the_files()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, await global::Kuma.Kumactl.Kumactl.RunAsync(["install", "crds"], new KumactlEnvironment { Out = output, Err = errors }));
        var printed = KubernetesManifests.Load(output.ToString(), "kumactl install crds").Cast<V1CustomResourceDefinition>();
        Assert.Equal(
            Directory.EnumerateFiles(Path.Combine(KubernetesManifests.Root, "crds"), "kuma.io_*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal),
            printed.Select(c => $"kuma.io_{c.Spec.Names.Plural}.yaml").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_type_a_tenant_writes_has_a_crd_except_the_secret_backed_ones()
    {
        var withCrd = CustomResourceDefinitions.TypesOf(PolicyTypes.Catalog).Select(d => d.Name).ToHashSet();
        var withoutCrd = PolicyTypes.Catalog.All.Where(d => !withCrd.Contains(d.Name)).Select(d => d.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["GlobalSecret", "Secret", "Tenant"], withoutCrd);
        Assert.Equal(PolicyTypes.All.Count + 2, withCrd.Count); // every policy, Mesh and Dataplane
    }

    [Fact]
    public void A_crd_carries_kumas_names_and_scope_and_keeps_the_mesh_where_kuma_does()
    {
        var crds = CustomResourceDefinitions.TypesOf(PolicyTypes.Catalog)
            .ToDictionary(d => d.Name, d => KubernetesManifests.Load(CustomResourceDefinitions.Yaml(d), d.Name).Cast<V1CustomResourceDefinition>().Single());

        var timeout = crds["MeshTimeout"];
        Assert.Equal(("meshtimeouts.kuma.io", "kuma.io", "Namespaced"), (timeout.Metadata.Name, timeout.Spec.Group, timeout.Spec.Scope));
        Assert.Equal(("MeshTimeout", "MeshTimeoutList", "meshtimeouts", "meshtimeout"), (timeout.Spec.Names.Kind, timeout.Spec.Names.ListKind, timeout.Spec.Names.Plural, timeout.Spec.Names.Singular));
        Assert.Equal(["mt"], timeout.Spec.Names.ShortNames);
        Assert.Equal(["kuma"], timeout.Spec.Names.Categories);
        var version = timeout.Spec.Versions.Single();
        Assert.Equal(("v1alpha1", true, true), (version.Name, version.Served, version.Storage));
        Assert.NotNull(version.Subresources.Status);
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], version.Schema.OpenAPIV3Schema.Properties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["from", "rules", "targetRef", "to"], version.Schema.OpenAPIV3Schema.Properties["spec"].Properties.Keys.Order(StringComparer.Ordinal));

        Assert.Equal(("Cluster", "meshes"), (crds["Mesh"].Spec.Scope, crds["Mesh"].Spec.Names.Plural));
        var dataplane = crds["Dataplane"].Spec.Versions.Single().Schema.OpenAPIV3Schema;
        Assert.Equal(["apiVersion", "kind", "mesh", "metadata", "spec", "status"], dataplane.Properties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Namespaced", crds["Dataplane"].Spec.Scope);
    }
}
