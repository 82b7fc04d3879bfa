using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Kubernetes.Infrastructure;
using static Kuma.Tests.Kubernetes.Sync.KubeObjects;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>Policy custom resources become policies in the API; the resource's status says whether the API accepted it.</summary>
public sealed class PolicySyncTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private const string Zone = "zone-a";
    private static readonly KubeResourceType TrafficPermissions = AgentHarness.PolicyResourceTypes.Single(t => t.Kind == "MeshTrafficPermission");

    private static JsonObject AllowAll() => JsonNode.Parse("""
        {"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Allow"}}]}
        """)!.AsObject();

    private static JsonObject Broken() => JsonNode.Parse("""{"targetRef":{"kind":"Bogus"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"action":"Sometimes"}}]}""")!.AsObject();

    [Fact]
    public async Task A_policy_resource_is_applied_its_status_says_so_and_an_invalid_one_is_refused_with_the_apis_reasons()
    {
        var tenant = await AgentApi.TenantAsync(fixture.ControlPlane, "k8s-policies");
        var token = await fixture.ControlPlane.IssueTokenAsync("k8s-policies");
        // What the API itself says of the broken spec, asked directly (it stores nothing).
        var direct = await tenant.PutAsync("/meshes/default/meshtrafficpermissions/probe",
            ControlPlane.Json(new JsonObject { ["type"] = "MeshTrafficPermission", ["mesh"] = "default", ["name"] = "probe", ["spec"] = Broken() }.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, direct.StatusCode);
        var apisReasons = string.Join("; ", JsonNode.Parse(await direct.Content.ReadAsStringAsync())!["invalid_parameters"]!.AsArray()
            .Select(p => $"{(string?)p!["field"]}: {(string?)p["reason"]}"));

        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "allow", AllowAll()));
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "broken", Broken()));
        var first = AgentHarness.Start(fixture.ControlPlane, kube, token, Zone);

        await Eventually.HoldsAsync(async () => await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop") is not null, AgentApi.Deadline, "the policy is in the API");
        var applied = (await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop"))!;
        Assert.True(JsonNode.DeepEquals(AllowAll(), applied["spec"]), applied.ToJsonString());
        Assert.Equal("cluster-agent", (string?)applied["labels"]!["kuma.io/managed-by"]);
        Assert.Equal(Zone, (string?)applied["labels"]!["kuma.io/zone"]);
        Assert.Equal("shop", (string?)applied["labels"]!["k8s.kuma.io/namespace"]);

        await WaitForConditionAsync(store, "allow", """{"type":"Accepted","status":"True","reason":"Applied","message":"","observedGeneration":1}""");
        await WaitForConditionAsync(store, "broken", new JsonObject
        {
            ["type"] = "Accepted",
            ["status"] = "False",
            ["reason"] = "Rejected",
            ["message"] = apisReasons,
            ["observedGeneration"] = 1,
        }.ToJsonString());
        Assert.Null(await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/broken.shop"));
        Assert.Equal(["PUT /meshes/default/meshtrafficpermissions/allow.shop", "PUT /meshes/default/meshtrafficpermissions/broken.shop"], first.Writes.Order(StringComparer.Ordinal));
        await first.DisposeAsync();

        // Restarted over resources already judged at their generation: nothing is sent again.
        await using var second = AgentHarness.Start(fixture.ControlPlane, kube, token, Zone);
        await Eventually.HoldsAsync(() => Task.FromResult(second.Agent.Policies.Passes > 0), AgentApi.Deadline, "the restarted agent reconciled");
        Assert.Empty(second.Writes);

        // A fixed spec is a new generation: applied, and accepted at that generation.
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "broken", AllowAll()));
        await WaitForConditionAsync(store, "broken", """{"type":"Accepted","status":"True","reason":"Applied","message":"","observedGeneration":2}""");
        Assert.NotNull(await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/broken.shop"));
    }

    [Fact]
    public async Task Deleting_the_resource_deletes_the_policy()
    {
        var tenant = await AgentApi.TenantAsync(fixture.ControlPlane, "k8s-policy-delete");
        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "allow", AllowAll()));
        await using var agent = AgentHarness.Start(fixture.ControlPlane, kube, await fixture.ControlPlane.IssueTokenAsync("k8s-policy-delete"), Zone);
        await WaitForConditionAsync(store, "allow", """{"type":"Accepted","status":"True","reason":"Applied","message":"","observedGeneration":1}""");

        store.Delete(TrafficPermissions, "shop", "allow");
        await Eventually.HoldsAsync(async () => await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop") is null, AgentApi.Deadline, "the policy left the API");
        Assert.Equal(["PUT /meshes/default/meshtrafficpermissions/allow.shop", "DELETE /meshes/default/meshtrafficpermissions/allow.shop"], agent.Writes);
    }

    [Fact]
    public async Task A_resource_deleted_while_the_agent_was_away_is_deleted_when_it_comes_back()
    {
        var tenant = await AgentApi.TenantAsync(fixture.ControlPlane, "k8s-policy-away");
        var token = await fixture.ControlPlane.IssueTokenAsync("k8s-policy-away");
        await using var kube = await FakeKubernetesApi.StartAsync(AgentHarness.PolicyResourceTypes);
        var store = kube.Store;
        store.Apply(KubeResourceType.Namespaces, Namespace("shop"));
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "allow", AllowAll()));
        store.Apply(TrafficPermissions, Policy("MeshTrafficPermission", "shop", "keep", AllowAll()));
        var first = AgentHarness.Start(fixture.ControlPlane, kube, token, Zone);
        await WaitForConditionAsync(store, "allow", """{"type":"Accepted","status":"True","reason":"Applied","message":"","observedGeneration":1}""");
        await WaitForConditionAsync(store, "keep", """{"type":"Accepted","status":"True","reason":"Applied","message":"","observedGeneration":1}""");
        await first.DisposeAsync();

        store.Delete(TrafficPermissions, "shop", "allow");
        await using var second = AgentHarness.Start(fixture.ControlPlane, kube, token, Zone);
        await Eventually.HoldsAsync(async () => await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/allow.shop") is null, AgentApi.Deadline, "the policy left the API");
        Assert.NotNull(await AgentApi.GetAsync(tenant, "/meshes/default/meshtrafficpermissions/keep.shop"));
        Assert.Equal(["DELETE /meshes/default/meshtrafficpermissions/allow.shop"], second.Writes);
    }

    /// <summary>Waits until the resource's only condition is <paramref name="expected"/> (its transition time aside).</summary>
    private static async Task WaitForConditionAsync(KubeObjectStore store, string name, string expected)
    {
        var last = "";
        try
        {
            await Eventually.HoldsAsync(() =>
            {
                var conditions = store.Get(TrafficPermissions, "shop", name)?["status"]?["conditions"]?.DeepClone() as JsonArray;
                last = conditions?.ToJsonString() ?? "(none)";
                if (conditions is not [JsonObject condition]) return Task.FromResult(false);
                Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", (string?)condition["lastTransitionTime"]);
                condition.Remove("lastTransitionTime");
                return Task.FromResult(JsonNode.DeepEquals(condition, JsonNode.Parse(expected)));
            }, AgentApi.Deadline, $"{name}'s condition");
        }
        catch (Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{name}'s condition is not {expected}; last seen {last}");
        }
    }
}
