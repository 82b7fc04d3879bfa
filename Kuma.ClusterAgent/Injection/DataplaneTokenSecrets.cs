using System.Text;

namespace Kuma.ClusterAgent.Injection;

/// <summary>
/// Makes sure the namespace holds <c>kuma-dp-token-&lt;mesh&gt;</c> before a pod that reads it is admitted. The token is
/// mesh-scoped, so one Secret serves every pod of the mesh in the namespace. It is not renewed: it is issued for
/// <see cref="InjectionOptions.TokenValidity"/>, and deleting the Secret makes the next admitted pod issue a new one.
/// </summary>
internal sealed class DataplaneTokenSecrets(IInjectionCluster cluster, IDataplaneTokenIssuer issuer, InjectionOptions options, ILogger<DataplaneTokenSecrets> logger)
{
    public async Task EnsureAsync(string @namespace, string mesh, CancellationToken cancellationToken)
    {
        var name = SidecarContainers.TokenSecretName(mesh);
        if (await cluster.SecretExistsAsync(@namespace, name, cancellationToken)) return;
        var token = await issuer.IssueAsync(mesh, cancellationToken);
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [SidecarContainers.TokenSecretKey] = Encoding.UTF8.GetBytes(token) };
        if (options.ControlPlaneCaPem is { } ca) data[ProxylessBootstrap.CaSecretKey] = Encoding.UTF8.GetBytes(ca);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kuma.io/managed-by"] = "cluster-agent",
            ["kuma.io/mesh"] = mesh,
            ["kuma.io/zone"] = options.Zone,
        };
        await cluster.CreateSecretAsync(@namespace, name, labels, data, cancellationToken);
        InjectionLog.TokenSecretCreated(logger, @namespace, name);
    }
}
