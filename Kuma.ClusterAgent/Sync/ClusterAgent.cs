using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kuma.ClusterAgent.Sync;

/// <summary>
/// The agent's loops over one cluster: list-then-watch of Namespaces, Pods, Services and each policy kind, the
/// Dataplane reconciler and the policy reconciler. Runs until cancelled; every loop survives errors on its own.
/// </summary>
internal sealed class ClusterAgent
{
    private readonly List<Func<CancellationToken, Task>> _loops = [];
    private readonly List<string> _watchedPaths = [];

    public ClusterAgent(k8s.Kubernetes kubernetes, ControlPlaneClient api, string zone, IReadOnlyList<PolicyKind> policyKinds, TimeProvider time, ILoggerFactory loggers)
    {
        var kube = new KubeRest(kubernetes);
        var watcherLogger = loggers.CreateLogger("Kuma.ClusterAgent.Sync.KubeWatcher");
        var podsChanged = new ChangeSignal();
        var namespaces = Namespaces = new KubeCache<V1Namespace>(podsChanged);
        var pods = new KubeCache<V1Pod>(podsChanged);
        var services = new KubeCache<V1Service>(podsChanged);
        Watch(new KubeWatcher<V1Namespace>(kube, "/api/v1/namespaces", namespaces, time, watcherLogger));
        Watch(new KubeWatcher<V1Pod>(kube, "/api/v1/pods", pods, time, watcherLogger));
        Watch(new KubeWatcher<V1Service>(kube, "/api/v1/services", services, time, watcherLogger));
        Dataplanes = new DataplaneReconciler(namespaces, pods, services, podsChanged, api, zone, time, loggers.CreateLogger<DataplaneReconciler>());
        _loops.Add(Dataplanes.RunAsync);

        var policiesChanged = new ChangeSignal();
        var policyCaches = new Dictionary<PolicyKind, KubeCache<KumaCustomObject>>();
        foreach (var kind in policyKinds)
        {
            var cache = new KubeCache<KumaCustomObject>(policiesChanged);
            policyCaches[kind] = cache;
            Watch(new KubeWatcher<KumaCustomObject>(kube, $"/apis/{KumaCustomObject.Group}/{KumaCustomObject.Version}/{kind.Plural}", cache, time, watcherLogger));
        }
        Policies = new PolicyReconciler(policyCaches, policiesChanged, api, kube, zone, time, loggers.CreateLogger<PolicyReconciler>());
        _loops.Add(Policies.RunAsync);
    }

    /// <summary>The cluster's namespaces as last watched (the webhook reads a namespace's mesh from here).</summary>
    public KubeCache<V1Namespace> Namespaces { get; }
    public DataplaneReconciler Dataplanes { get; }
    public PolicyReconciler Policies { get; }
    public IReadOnlyList<string> WatchedPaths => _watchedPaths;

    /// <summary>The resourceVersion each watcher last took in, by path (tests check bookmarks advance it).</summary>
    public Dictionary<string, Func<string?>> ResourceVersions { get; } = new(StringComparer.Ordinal);

    public Task RunAsync(CancellationToken ct) => Task.WhenAll(_loops.Select(loop => Task.Run(() => loop(ct), ct)));

    private void Watch<T>(KubeWatcher<T> watcher) where T : k8s.IKubernetesObject<V1ObjectMeta>
    {
        _watchedPaths.Add(watcher.Path);
        ResourceVersions[watcher.Path] = () => watcher.ResourceVersion;
        _loops.Add(watcher.RunAsync);
    }
}
