using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Kubernetes.Infrastructure;
using static Kuma.Tests.Kubernetes.Sync.KubeObjects;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>
/// The cluster agent against a fake Kubernetes API (real list and watch JSON) and a real in-process control plane:
/// Dataplanes appear, change and disappear with the Pods, through watch expiry, bookmarks and restarts.
/// </summary>
public sealed class DataplaneSyncTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private const string Zone = "zone-a";
    private static readonly Dictionary<string, string> WebLabels = new() { ["app"] = "web", ["version"] = "v1" };

    private ControlPlane Cp => fixture.ControlPlane;

    private static string WebNetworking(string address, string version, params (int Port, int ServicePort, string Protocol, bool Ready)[] inbounds) =>
        new JsonObject
        {
            ["address"] = address,
            ["inbound"] = new JsonArray([.. inbounds.Select(i => (JsonNode)Inbound(i.Port, i.ServicePort, i.Protocol, i.Ready, version))]),
        }.ToJsonString();

    private static JsonObject Inbound(int port, int servicePort, string protocol, bool ready, string version)
    {
        var inbound = new JsonObject
        {
            ["port"] = port,
            ["tags"] = new JsonObject
            {
                ["app"] = "web",
                ["version"] = version,
                ["k8s.kuma.io/namespace"] = "shop",
                ["k8s.kuma.io/service-name"] = "web",
                ["k8s.kuma.io/service-port"] = servicePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["kuma.io/service"] = $"web_shop_svc_{servicePort}",
                ["kuma.io/zone"] = Zone,
                ["kuma.io/protocol"] = protocol,
            },
            ["health"] = new JsonObject { ["ready"] = ready },
            ["protocol"] = protocol,
        };
        if (!ready) inbound["state"] = "NotReady";
        return inbound;
    }

    [Fact]
    public async Task Dataplanes_appear_change_and_disappear_with_the_pods()
    {
        var tenant = await AgentApi.TenantAsync(Cp, "k8s-sync-life");
        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(KubeResourceType.Services, Service("shop", "web", new() { ["app"] = "web" }, (80, 8080, "http")));
        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", WebLabels, [8080]));
        // Not injected: no proxy, so no Dataplane.
        store.Apply(KubeResourceType.Pods, Pod("shop", "plain-1", "10.0.0.9", WebLabels, [8080], injected: false));
        await using var agent = AgentHarness.Start(Cp, kube, await Cp.IssueTokenAsync("k8s-sync-life"), Zone);

        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-1.shop"] = WebNetworking("10.0.0.1", "v1", (8080, 80, "http", true)) }, "the injected pod's Dataplane");
        var stored = (await AgentApi.DataplanesAsync(tenant))["web-1.shop"];
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["app"] = "web",
                ["version"] = "v1",
                ["k8s.kuma.io/namespace"] = "shop",
                ["kuma.io/zone"] = Zone,
                ["kuma.io/origin"] = "zone",
                ["kuma.io/managed-by"] = "cluster-agent",
                ["kuma.io/mesh"] = "default",
                ["kuma.io/env"] = "universal",
            },
            new SortedDictionary<string, string>(stored["labels"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!), StringComparer.Ordinal));

        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", new() { ["app"] = "web", ["version"] = "v2" }, [8080]));
        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-1.shop"] = WebNetworking("10.0.0.1", "v2", (8080, 80, "http", true)) }, "the relabelled pod's tags");

        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", new() { ["app"] = "web", ["version"] = "v2" }, [8080], ready: false));
        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-1.shop"] = WebNetworking("10.0.0.1", "v2", (8080, 80, "http", false)) }, "the not-ready pod's inbound");

        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", new() { ["app"] = "web", ["version"] = "v2" }, [8080, 8443]));
        store.Apply(KubeResourceType.Services, Service("shop", "web", new() { ["app"] = "web" }, (80, 8080, "http"), (443, 8443, null)));
        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-1.shop"] = WebNetworking("10.0.0.1", "v2", (8080, 80, "http", true), (8443, 443, "tcp", true)) }, "the added service port's inbound");

        store.Delete(KubeResourceType.Pods, "shop", "web-1");
        await AgentApi.WaitForNetworkingAsync(tenant, [], "no Dataplane once the pod is gone");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_410_gone_forces_a_relist_and_the_end_state_is_right(bool asHttpStatus)
    {
        var tenant = await AgentApi.TenantAsync(Cp, $"k8s-sync-gone-{(asHttpStatus ? "http" : "event")}");
        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.ExpireWithHttpStatus = asHttpStatus;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(KubeResourceType.Services, Service("shop", "web", new() { ["app"] = "web" }, (80, 8080, "http")));
        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", WebLabels, [8080]));
        await using var agent = AgentHarness.Start(Cp, kube, await Cp.IssueTokenAsync($"k8s-sync-gone-{(asHttpStatus ? "http" : "event")}"), Zone);
        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-1.shop"] = WebNetworking("10.0.0.1", "v1", (8080, 80, "http", true)) }, "the first pod's Dataplane");
        Assert.Equal(1, store.Calls("list pods"));

        var watchedFrom = agent.Agent.ResourceVersions["/api/v1/pods"]();
        if (asHttpStatus)
        {
            // Cut off while the cluster changes and its history is compacted: the agent's next watch, from where it
            // was, is refused with HTTP 410, and only a new list shows it the changes.
            store.SuspendWatches();
            store.Delete(KubeResourceType.Pods, "shop", "web-1");
            store.Apply(KubeResourceType.Pods, Pod("shop", "web-2", "10.0.0.2", WebLabels, [8080]));
            store.Compact();
            store.ResumeWatches();
        }
        else
        {
            // The open watch ends with a 410 ERROR event; whether the changes come in the new list or the new watch,
            // the end state must be right.
            store.Compact();
            store.Delete(KubeResourceType.Pods, "shop", "web-1");
            store.Apply(KubeResourceType.Pods, Pod("shop", "web-2", "10.0.0.2", WebLabels, [8080]));
        }

        await AgentApi.WaitForNetworkingAsync(tenant, new() { ["web-2.shop"] = WebNetworking("10.0.0.2", "v1", (8080, 80, "http", true)) }, "the state after the relist");
        Assert.True(store.Calls("list pods") >= 2, $"pods listed {store.Calls("list pods")} times");
        if (asHttpStatus) Assert.Equal(2, store.WatchRequests().Count(w => w == $"pods@{watchedFrom}"));
    }

    [Fact]
    public async Task Bookmarks_advance_the_resource_version_a_watch_resumes_from()
    {
        await AgentApi.TenantAsync(Cp, "k8s-sync-bookmark");
        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        await using var agent = AgentHarness.Start(Cp, kube, await Cp.IssueTokenAsync("k8s-sync-bookmark"), Zone);
        var podsVersion = agent.Agent.ResourceVersions["/api/v1/pods"];
        await Eventually.HoldsAsync(() => Task.FromResult(store.WatchRequests().Any(w => w.StartsWith("pods@", StringComparison.Ordinal))), AgentApi.Deadline, "the pods watch is open");

        var bookmark = store.SendBookmark().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.HoldsAsync(() => Task.FromResult(podsVersion() == bookmark), AgentApi.Deadline, $"the pods watcher took in bookmark {bookmark}");

        store.CloseAllWatches();
        await Eventually.HoldsAsync(() => Task.FromResult(store.WatchRequests().Contains($"pods@{bookmark}")), AgentApi.Deadline, "the pods watch resumed from the bookmark");
        Assert.Equal(1, store.Calls("list pods"));
    }

    [Fact]
    public async Task A_restart_over_an_unchanged_cluster_writes_nothing_and_foreign_dataplanes_are_never_touched()
    {
        var tenant = await AgentApi.TenantAsync(Cp, "k8s-sync-restart");
        var token = await Cp.IssueTokenAsync("k8s-sync-restart");
        // Written by someone else (no agent labels), and by an agent of another zone: neither is this agent's to change.
        var foreign = """{"type":"Dataplane","mesh":"default","name":"vm-1","networking":{"address":"192.168.1.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"vm"}}]}}""";
        Assert.True((await tenant.PutAsync("/meshes/default/dataplanes/vm-1", ControlPlane.Json(foreign))).IsSuccessStatusCode);
        var otherZone = """{"type":"Dataplane","mesh":"default","name":"web-9.shop","labels":{"kuma.io/managed-by":"cluster-agent","kuma.io/zone":"zone-b"},"networking":{"address":"10.1.0.9","inbound":[{"port":8080,"tags":{"kuma.io/service":"web_shop_svc_80"}}]}}""";
        Assert.True((await tenant.PutAsync("/meshes/default/dataplanes/web-9.shop", ControlPlane.Json(otherZone))).IsSuccessStatusCode);

        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(KubeResourceType.Services, Service("shop", "web", new() { ["app"] = "web" }, (80, 8080, "http"), (443, 8443, null)));
        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", WebLabels, [8080, 8443]));
        store.Apply(KubeResourceType.Pods, Pod("shop", "web-2", "10.0.0.2", WebLabels, [8080, 8443], ready: false));
        var expected = new Dictionary<string, string>
        {
            ["vm-1"] = """{"address":"192.168.1.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"vm"}}]}""",
            ["web-9.shop"] = """{"address":"10.1.0.9","inbound":[{"port":8080,"tags":{"kuma.io/service":"web_shop_svc_80"}}]}""",
            ["web-1.shop"] = WebNetworking("10.0.0.1", "v1", (8080, 80, "http", true), (8443, 443, "tcp", true)),
            ["web-2.shop"] = WebNetworking("10.0.0.2", "v1", (8080, 80, "http", false), (8443, 443, "tcp", false)),
        };

        var first = AgentHarness.Start(Cp, kube, token, Zone);
        await AgentApi.WaitForNetworkingAsync(tenant, expected, "the first agent's Dataplanes beside the foreign ones");
        Assert.Equal(["PUT /meshes/default/dataplanes/web-1.shop", "PUT /meshes/default/dataplanes/web-2.shop"], first.Writes.Order(StringComparer.Ordinal));
        await first.DisposeAsync();

        await using var second = AgentHarness.Start(Cp, kube, token, Zone);
        await Eventually.HoldsAsync(() => Task.FromResult(second.Agent.Dataplanes.Passes > 0), AgentApi.Deadline, "the restarted agent reconciled");
        Assert.Empty(second.Writes);

        // After the restart it still writes what changes, and only that.
        store.Delete(KubeResourceType.Pods, "shop", "web-2");
        expected.Remove("web-2.shop");
        await AgentApi.WaitForNetworkingAsync(tenant, expected, "the deleted pod's Dataplane is gone, the foreign ones stay");
        Assert.Equal(["DELETE /meshes/default/dataplanes/web-2.shop"], second.Writes);
    }
}
