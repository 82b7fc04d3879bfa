using System.Text.Json.Nodes;
using Kuma.Kumactl.Output;
using Kuma.Resources;

namespace Kuma.Kumactl.Install;

/// <summary>
/// The <c>kuma.io/v1alpha1</c> CRDs of every resource type a tenant writes, built from the resource descriptors so
/// they cannot drift from the API: Kuma's names (kind, plural, short name, category <c>kuma</c>), Mesh cluster-scoped
/// and the rest namespaced, and the spec's schema from its type (<see cref="SpecSchema"/>).
/// </summary>
public static class CustomResourceDefinitions
{
    public const string Group = "kuma.io";
    public const string Version = "v1alpha1";

    /// <summary>
    /// Secret and GlobalSecret get no CRD: as in Kuma they are Kubernetes Secrets of these types (the value under key
    /// <c>value</c>, the mesh in label <c>kuma.io/mesh</c>), so RBAC and encryption at rest treat them as secrets.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KubernetesSecretTypes = new Dictionary<string, string>
    {
        [ResourceTypes.Secret.Name] = "system.kuma.io/secret",
        [ResourceTypes.GlobalSecret.Name] = "system.kuma.io/global-secret",
    };

    /// <summary>The types that get a CRD: everything a tenant may write, less the Secret-backed ones.</summary>
    public static IEnumerable<ResourceDescriptor> TypesOf(ResourceCatalog catalog) =>
        catalog.All.Where(d => !d.SystemOnly && !KubernetesSecretTypes.ContainsKey(d.Name)).OrderBy(d => d.Plural, StringComparer.Ordinal);

    /// <summary>The file a CRD is kept in under k8s/crds: Kuma's naming.</summary>
    public static string FileNameOf(ResourceDescriptor descriptor) => $"{Group}_{descriptor.Plural}.yaml";

    public static string Yaml(ResourceDescriptor descriptor) => "---\n" + YamlText.Write(Build(descriptor));

    public static JsonObject Build(ResourceDescriptor descriptor)
    {
        var names = new JsonObject
        {
            ["categories"] = new JsonArray("kuma"),
            ["kind"] = descriptor.Name,
            ["listKind"] = descriptor.Name + "List",
            ["plural"] = descriptor.Plural,
            ["singular"] = descriptor.Name.ToLowerInvariant(),
        };
        if (descriptor.ShortName is { } shortName) names["shortNames"] = new JsonArray(shortName);
        var version = new JsonObject
        {
            ["name"] = Version,
            ["served"] = true,
            ["storage"] = true,
            ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
            ["schema"] = new JsonObject { ["openAPIV3Schema"] = RootSchema(descriptor) },
        };
        if (PrinterColumns(descriptor) is { Count: > 0 } columns) version["additionalPrinterColumns"] = columns;
        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = $"{descriptor.Plural}.{Group}" },
            ["spec"] = new JsonObject
            {
                ["group"] = Group,
                ["names"] = names,
                ["scope"] = descriptor.Scope == ResourceScope.Global ? "Cluster" : "Namespaced",
                ["versions"] = new JsonArray(version),
            },
        };
    }

    /// <summary>
    /// Where the mesh sits follows Kuma: a Dataplane names it in a top-level <c>mesh</c> field beside its <c>spec</c>;
    /// targetRef policies name it in label <c>kuma.io/mesh</c>; a Mesh is one.
    /// </summary>
    private static JsonObject RootSchema(ResourceDescriptor descriptor)
    {
        var properties = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["metadata"] = new JsonObject { ["type"] = "object" },
        };
        if (descriptor.Scope == ResourceScope.Mesh && !descriptor.IsPolicy) properties["mesh"] = new JsonObject { ["type"] = "string" };
        properties["spec"] = SpecSchema.For(descriptor.SpecType);
        // What the cluster agent writes back (the API's answer); its shape is the agent's, not validated here.
        properties["status"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        return new JsonObject { ["type"] = "object", ["properties"] = properties };
    }

    private static JsonArray PrinterColumns(ResourceDescriptor descriptor)
    {
        if (descriptor.IsPolicy)
            return [Column("TargetRef Kind", ".spec.targetRef.kind"), Column("TargetRef Name", ".spec.targetRef.name")];
        if (descriptor == ResourceTypes.Dataplane)
            return [Column("kuma.io/service", ".spec.networking.inbound[0].tags['kuma\\.io/service']"), Column("Mesh", ".mesh")];
        return [];
    }

    private static JsonObject Column(string name, string jsonPath) => new() { ["name"] = name, ["jsonPath"] = jsonPath, ["type"] = "string" };

    /// <summary>k8s/crds/kustomization.yaml: every generated file, in file-name order.</summary>
    public static string Kustomization(IEnumerable<ResourceDescriptor> types) =>
        "# Generated by scripts/generate-crds.sh (kumactl install crds --output-dir k8s/crds): do not edit.\n" +
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" +
        string.Concat(types.Select(FileNameOf).Order(StringComparer.Ordinal).Select(f => $"- {f}\n"));
}
