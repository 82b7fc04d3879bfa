using k8s.Models;

namespace Kuma.ClusterAgent.Injection;

/// <summary>Namespaces as the agent's cache sees them: the injector reads their labels and annotations only.</summary>
public interface INamespaceLookup
{
    /// <summary>The namespace, or null when the agent does not know it.</summary>
    Task<V1Namespace?> FindAsync(string name, CancellationToken cancellationToken);
}

/// <summary>Issues mesh-scoped dataplane tokens (no dataplane name) through the hosted API.</summary>
public interface IDataplaneTokenIssuer
{
    Task<string> IssueAsync(string mesh, CancellationToken cancellationToken);
}

/// <summary>The few Kubernetes writes the webhook needs; KubernetesClient in production, in memory in tests.</summary>
public interface IInjectionCluster
{
    /// <summary>Whether the Secret exists in the namespace.</summary>
    Task<bool> SecretExistsAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Creates the Secret; one created meanwhile by another replica counts as success.</summary>
    Task CreateSecretAsync(string @namespace, string name, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, byte[]> data, CancellationToken cancellationToken);

    /// <summary>Sets the caBundle of every webhook of the MutatingWebhookConfiguration.</summary>
    Task PatchWebhookCaBundleAsync(string configurationName, byte[] caBundlePem, CancellationToken cancellationToken);
}

/// <summary>A pod the injector refuses, with the message the API server shows to whoever created the pod.</summary>
internal sealed class InjectionRefusedException(string message) : Exception(message);
