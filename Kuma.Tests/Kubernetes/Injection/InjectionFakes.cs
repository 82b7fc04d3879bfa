using System.Collections.Concurrent;
using k8s.Models;
using Kuma.ClusterAgent.Injection;

namespace Kuma.Tests.Kubernetes.Injection;

internal sealed class FakeNamespaces : INamespaceLookup
{
    public ConcurrentDictionary<string, V1Namespace> Namespaces { get; } = new(StringComparer.Ordinal);

    public void Put(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? annotations = null) =>
        Namespaces[name] = new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels, Annotations = annotations } };

    public Task<V1Namespace?> FindAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Namespaces.TryGetValue(name, out var ns) ? ns : null);
}

/// <summary>Issues "token-for-&lt;mesh&gt;-&lt;n&gt;" and records each mesh asked for.</summary>
internal sealed class FakeTokenIssuer : IDataplaneTokenIssuer
{
    private int _issued;
    public ConcurrentQueue<string> Meshes { get; } = new();
    public bool Fail { get; set; }

    public Task<string> IssueAsync(string mesh, CancellationToken cancellationToken)
    {
        if (Fail) throw new HttpRequestException("control plane unreachable");
        Meshes.Enqueue(mesh);
        return Task.FromResult($"token-for-{mesh}-{Interlocked.Increment(ref _issued)}");
    }
}

internal sealed record StoredSecret(IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, byte[]> Data);

internal sealed class InMemoryInjectionCluster : IInjectionCluster
{
    public ConcurrentDictionary<(string Namespace, string Name), StoredSecret> Secrets { get; } = new();
    public ConcurrentDictionary<string, byte[]> CaBundles { get; } = new(StringComparer.Ordinal);

    public Task<bool> SecretExistsAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(Secrets.ContainsKey((@namespace, name)));

    public Task CreateSecretAsync(string @namespace, string name, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, byte[]> data, CancellationToken cancellationToken)
    {
        Secrets.TryAdd((@namespace, name), new StoredSecret(labels, data));
        return Task.CompletedTask;
    }

    public Task PatchWebhookCaBundleAsync(string configurationName, byte[] caBundlePem, CancellationToken cancellationToken)
    {
        CaBundles[configurationName] = caBundlePem;
        return Task.CompletedTask;
    }
}
