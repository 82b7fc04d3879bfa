namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>A resource type the fake API server serves: where it lives in the URL space and how its lists are named.</summary>
public sealed record KubeResourceType(string GroupVersion, string Plural, string Kind, bool Namespaced)
{
    public static readonly KubeResourceType Namespaces = new("v1", "namespaces", "Namespace", Namespaced: false);
    public static readonly KubeResourceType Pods = new("v1", "pods", "Pod", Namespaced: true);
    public static readonly KubeResourceType Services = new("v1", "services", "Service", Namespaced: true);
    public static readonly KubeResourceType Secrets = new("v1", "secrets", "Secret", Namespaced: true);
    public static readonly KubeResourceType MutatingWebhookConfigurations = new("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", Namespaced: false);
    public static readonly KubeResourceType CustomResourceDefinitions = new("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced: false);

    /// <summary>Core types sit under <c>/api/v1</c>, the others under <c>/apis/&lt;group&gt;/&lt;version&gt;</c>.</summary>
    public string Prefix => GroupVersion.Contains('/') ? $"/apis/{GroupVersion}" : $"/api/{GroupVersion}";
}
