using System.Net;
using Kuma.ClusterAgent.Injection;
using Kuma.ClusterAgent.Sync;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kuma.ClusterAgent.Hosting;

/// <summary>
/// Namespaces for the webhook from the agent's watch cache. The webhook serves before the first list completes and a
/// pod may arrive in a namespace the watch has not reported yet, so a miss is read from the API server.
/// </summary>
internal sealed class AgentNamespaceLookup(AgentReadiness readiness, IKubernetes kubernetes) : INamespaceLookup
{
    public async Task<V1Namespace?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (readiness.Agent?.Namespaces is { Synced: true } cache && cache.Get(null, name) is { } cached) return cached;
        try
        {
            return await kubernetes.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>Mesh-scoped dataplane tokens for injected pods, issued by the hosted control plane with the agent's token.</summary>
internal sealed class AgentTokenIssuer(ControlPlaneClient api, InjectionOptions options) : IDataplaneTokenIssuer
{
    public Task<string> IssueAsync(string mesh, CancellationToken cancellationToken) =>
        api.IssueDataplaneTokenAsync(mesh, options.TokenValidity, cancellationToken);
}
