using System.Net;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Hosting;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Kubernetes.Infrastructure;
using Kuma.Tests.Kubernetes.Injection;
using Kuma.Tests.Kubernetes.Manifests;
using k8s.Models;
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

    private static JsonObject WebhookConfiguration() => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "kuma-cluster-agent" },
        ["webhooks"] = new JsonArray(new JsonObject
        {
            ["name"] = "namespaces.kuma-cluster-agent.kuma.io",
            ["clientConfig"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "kuma-cluster-agent", ["namespace"] = "kuma-system", ["path"] = "/inject" } },
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["sideEffects"] = "NoneOnDryRun",
        }),
    };

    /// <summary>
    /// The whole agent as Program builds it: the webhook registers its CA, injects a pod over HTTPS with a token the
    /// control plane issued, and the injected pod, once running, becomes a Dataplane, beside the policy sync.
    /// </summary>
    [Fact]
    public async Task The_host_discovers_the_policy_crds_syncs_injects_and_reports_ready()
    {
        var tenant = await AgentApi.TenantAsync(fixture.ControlPlane, "k8s-host");
        await using var kube = await FakeKubernetesApi.StartAsync([.. AgentHarness.PolicyResourceTypes, KubeResourceType.MutatingWebhookConfigurations, new KubeResourceType("kuma.io/v1alpha1", "dataplanes", "Dataplane", Namespaced: true)]);
        var store = kube.Store;
        store.Apply(KubeResourceType.CustomResourceDefinitions, Crd("MeshTrafficPermission", "meshtrafficpermissions"));
        // Not a policy: the agent derives Dataplanes itself and never watches them as resources.
        store.Apply(KubeResourceType.CustomResourceDefinitions, Crd("Dataplane", "dataplanes"));
        store.Apply(KubeResourceType.MutatingWebhookConfigurations, WebhookConfiguration());
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
            // The agent serves only HTTPS, trusted through the caBundle it registers.
            await Eventually.HoldsAsync(() => Task.FromResult(CaBundle(store) is not null), AgentApi.Deadline, "the webhook's caBundle");
            using var https = WebhookClient.Create(CaBundle(store)!, port);
            var root = new Uri("https://kuma-cluster-agent.kuma-system.svc/");
            Assert.Equal(HttpStatusCode.OK, (await https.GetAsync(new Uri(root, "healthz"))).StatusCode);
            await Eventually.HoldsAsync(async () => (await https.GetAsync(new Uri(root, "readyz"))).StatusCode == HttpStatusCode.OK, AgentApi.Deadline, "the agent is ready");
            await Eventually.HoldsAsync(async () => (await AgentApi.DataplanesAsync(tenant)).Keys.SequenceEqual(["web-1.shop"]), AgentApi.Deadline, "the pod's Dataplane");
            await Eventually.HoldsAsync(async () => await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop") is not null, AgentApi.Deadline, "the policy");
            // Only the installed policy CRDs are watched (of the fake's many types), and Dataplane is not among them.
            Assert.Equal((true, true, 0, 0), (store.Calls("list pods") > 0, store.Calls("list meshtrafficpermissions") > 0, store.Calls("list dataplanes"), store.Calls("list meshtimeouts")));

            // A new pod as the API server sends it for admission: not injected, no IP yet.
            var created = Pod("shop", "web-2", "10.0.0.2", new() { ["app"] = "web" }, [8080], injected: false);
            created["spec"]!["containers"]!.AsArray().RemoveAt(1);
            var running = created["status"]!.DeepClone();
            created.Remove("status");
            using var answer = await https.PostAsync(new Uri(root, "inject"), new StringContent(AdmissionReviews.Create(created, "shop").ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var response = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["response"]!.AsObject();
            Assert.True(response["allowed"]!.GetValue<bool>(), response.ToJsonString());
            var injected = JsonPatchApplier.Apply(created, JsonNode.Parse(Convert.FromBase64String(response["patch"]!.GetValue<string>()))!.AsArray()).AsObject();
            Assert.Equal(["kuma-sidecar", "app"], injected["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));

            // The token the sidecar will read is a dataplane token of mesh default, issued by the control plane for this tenant.
            var secret = store.Get(KubeResourceType.Secrets, "shop", "kuma-dp-token-default");
            Assert.NotNull(secret);
            var token = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!["token"]!.GetValue<string>()));
            var claims = JsonNode.Parse(Base64Url(token.Split('.')[1]))!;
            Assert.Equal(("dataplane", "default", "k8s-host"), (claims["Type"]?.GetValue<string>(), claims["Mesh"]?.GetValue<string>(), claims["Tenant"]?.GetValue<string>()));

            // Once the kubelet runs it, the injected pod is a Dataplane.
            injected["status"] = running;
            store.Apply(KubeResourceType.Pods, injected);
            await Eventually.HoldsAsync(async () => (await AgentApi.DataplanesAsync(tenant)).Keys.SequenceEqual(["web-1.shop", "web-2.shop"]), AgentApi.Deadline, "the injected pod's Dataplane");

            // Everything the agent asked of the cluster, its manifest's ClusterRole allows.
            var role = KubernetesManifests.Single<V1ClusterRole>(await KubernetesManifests.BuildAsync("cluster-agent"), "kuma-cluster-agent");
            Assert.Equal([], kube.Requests.Distinct().Where(request => !role.Rules.Any(rule => Allows(rule, request))).Order(StringComparer.Ordinal));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static string? CaBundle(KubeObjectStore store) =>
        store.Get(KubeResourceType.MutatingWebhookConfigurations, null, "kuma-cluster-agent")?["webhooks"]?[0]?["clientConfig"]?["caBundle"]?.GetValue<string>() is { } encoded
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded))
            : null;

    private static byte[] Base64Url(string text) =>
        Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + (4 - text.Length % 4) % 4, '='));

    /// <summary>Whether an RBAC rule allows <c>group|resource|name|verb</c>.</summary>
    private static bool Allows(V1PolicyRule rule, string request)
    {
        var (group, resource, name, verb) = request.Split('|') switch { var p => (p[0], p[1], p[2], p[3]) };
        var resourceMatches = rule.Resources.Any(r => r == resource || (r == "*" && !resource.Contains('/')) || (r == "*/status" && resource.EndsWith("/status", StringComparison.Ordinal)));
        return rule.ApiGroups.Any(g => g == group || g == "*") && resourceMatches
            && (rule.ResourceNames is not { Count: > 0 } || rule.ResourceNames.Contains(name))
            && rule.Verbs.Any(v => v == verb || v == "*");
    }
}
