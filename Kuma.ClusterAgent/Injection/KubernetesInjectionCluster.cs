using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kuma.ClusterAgent.Injection;

/// <summary>The webhook's Kubernetes writes through KubernetesClient (RBAC: secrets get/create, mutatingwebhookconfigurations get/patch).</summary>
internal sealed class KubernetesInjectionCluster(IKubernetes kubernetes) : IInjectionCluster
{
    public async Task<bool> SecretExistsAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task CreateSecretAsync(string @namespace, string name, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, byte[]> data, CancellationToken cancellationToken)
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace, Labels = labels.ToDictionary() },
            Type = "Opaque",
            Data = data.ToDictionary(),
        };
        try
        {
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another replica (or a concurrent pod) created it first: same mesh, same kind of token.
        }
    }

    public async Task PatchWebhookCaBundleAsync(string configurationName, byte[] caBundlePem, CancellationToken cancellationToken)
    {
        var configuration = await kubernetes.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(configurationName, cancellationToken: cancellationToken);
        var operations = (configuration.Webhooks ?? []).Select((_, index) => new
        {
            op = "add",
            path = $"/webhooks/{index}/clientConfig/caBundle",
            value = Convert.ToBase64String(caBundlePem),
        }).ToList();
        if (operations.Count == 0) return;
        await kubernetes.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(
            new V1Patch(operations, V1Patch.PatchType.JsonPatch), configurationName, cancellationToken: cancellationToken);
    }
}
