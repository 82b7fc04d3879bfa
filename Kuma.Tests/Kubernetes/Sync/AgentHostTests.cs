using System.Net;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Hosting;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Kubernetes.Infrastructure;
using Kuma.Testing;
using Microsoft.AspNetCore.Builder;
using static Kuma.Tests.Kubernetes.Sync.KubeObjects;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>The agent's host as Program builds it: CRD discovery, the sync loops, readiness, against a fake cluster and a real control plane.</summary>
public sealed class AgentHostTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private static JsonObject Crd(string kind, string plural) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = $"{plural}.kuma.io" },
        ["spec"] = new JsonObject
        {
            ["group"] = "kuma.io",
            ["scope"] = "Namespaced",
            ["names"] = new JsonObject { ["kind"] = kind, ["plural"] = plural, ["listKind"] = kind + "List", ["singular"] = plural.TrimEnd('s') },
            ["versions"] = new JsonArray(new JsonObject { ["name"] = "v1alpha1", ["served"] = true, ["storage"] = true }),
        },
    };

    [Fact]
    public async Task The_host_discovers_the_policy_crds_syncs_and_reports_ready()
    {
        var tenant = await AgentApi.TenantAsync(fixture.ControlPlane, "k8s-host");
        await using var kube = await FakeKubernetesApi.StartAsync([.. AgentHarness.PolicyResourceTypes, new KubeResourceType("kuma.io/v1alpha1", "dataplanes", "Dataplane", Namespaced: true)]);
        var store = kube.Store;
        store.Apply(KubeResourceType.CustomResourceDefinitions, Crd("MeshTrafficPermission", "meshtrafficpermissions"));
        // Not a policy: the agent derives Dataplanes itself and never watches them as resources.
        store.Apply(KubeResourceType.CustomResourceDefinitions, Crd("Dataplane", "dataplanes"));
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(KubeResourceType.Pods, Pod("shop", "web-1", "10.0.0.1", new() { ["app"] = "web" }, [8080]));
        store.Apply(AgentHarness.PolicyResourceTypes.Single(t => t.Kind == "MeshTrafficPermission"), Policy("MeshTrafficPermission", "shop", "allow",
            JsonNode.Parse("""{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Allow"}}]}""")!.AsObject()));

        var port = FreePort.Next();
        var options = new AgentOptions
        {
            ControlPlaneUrl = new Uri($"http://127.0.0.1:{fixture.ControlPlane.ApiPort}"),
            Token = await fixture.ControlPlane.IssueTokenAsync("k8s-host"),
            Zone = "zone-a",
            DpServerUrl = new Uri("https://127.0.0.1:5678"),
            WebhookPort = port,
        };
        await using var app = AgentHost.Build([], options, new k8s.KubernetesClientConfiguration { Host = kube.BaseUri.ToString() });
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
            await Eventually.HoldsAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, AgentApi.Deadline, "the agent is ready");
            await Eventually.HoldsAsync(async () => (await AgentApi.DataplanesAsync(tenant)).Keys.SequenceEqual(["web-1.shop"]), AgentApi.Deadline, "the pod's Dataplane");
            await Eventually.HoldsAsync(async () => await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop") is not null, AgentApi.Deadline, "the policy");
            // Only the installed policy CRDs are watched (of the fake's many types), and Dataplane is not among them.
            Assert.Equal((true, true, 0, 0), (store.Calls("list pods") > 0, store.Calls("list meshtrafficpermissions") > 0, store.Calls("list dataplanes"), store.Calls("list meshtimeouts")));
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
