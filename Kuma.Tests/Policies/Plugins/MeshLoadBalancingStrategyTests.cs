using System.Text.Json.Nodes;
using Envoy.Config.Endpoint.V3;
using Kuma.Policies;
using Kuma.Policies.MeshLoadBalancingStrategy;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// How locality-aware endpoints are shared: callers of one zone under one conf get the very same resource, callers
/// of another zone their own, and meshes without the policy (or with awareness off) keep one selection for all.
/// Also MeshLoadBalancingStrategy's proxyless account.
/// </summary>
public sealed class MeshLoadBalancingStrategyTests
{
    private static readonly NamesKey Backend = new(["backend"]);

    private static string Dataplane(string address, string service, string zone, params string[] outbounds)
    {
        var outboundJson = string.Join(',', outbounds.Select((o, i) => $"{{\"port\":{10001 + i},\"tags\":{{\"kuma.io/service\":\"{o}\"}}}}"));
        return $"{{\"networking\":{{\"address\":\"{address}\",\"inbound\":[{{\"port\":8080,\"tags\":{{\"kuma.io/service\":\"{service}\","
            + $"\"kuma.io/protocol\":\"http\",\"kuma.io/zone\":\"{zone}\"}}}}],\"outbound\":[{outboundJson}]}}}}";
    }

    private static MeshContext Mesh(params (string Type, string Name, string Spec)[] policies) => InProcessMesh.Build(
    [
        ("web-a1", Dataplane("10.0.0.1", "web", "a", "backend")),
        ("web-a2", Dataplane("10.0.0.2", "web", "a", "backend")),
        ("web-b1", Dataplane("10.0.0.3", "web", "b", "backend")),
        ("backend-a", Dataplane("10.0.1.1", "backend", "a")),
        ("backend-b", Dataplane("10.0.1.2", "backend", "b")),
    ], policies: policies);

    private static (string, string, string) Policy(string conf) => ("MeshLoadBalancingStrategy", "lbs",
        $$"""{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"backend"},"default":{{conf}}}]}""");

    private static Dictionary<string, uint> PriorityByZone(ResourceSet set) =>
        Assert.Single(set).Payload.Unpack<ClusterLoadAssignment>().Endpoints.ToDictionary(l => l.Locality.Zone, l => l.Priority);

    [Fact]
    public void Callers_of_one_zone_share_their_endpoints_and_a_caller_of_another_zone_gets_its_own()
    {
        var mesh = Mesh(Policy("""{"localityAwareness":{"crossZone":{"failover":[{"to":{"type":"Any"}}]}}}"""));

        var a1 = mesh.ForProxy("web-a1").Named(TypeUrls.ClusterLoadAssignment, Backend);
        var a2 = mesh.ForProxy("web-a2").Named(TypeUrls.ClusterLoadAssignment, Backend);
        var b1 = mesh.ForProxy("web-b1").Named(TypeUrls.ClusterLoadAssignment, Backend);

        Assert.Same(a1[0], a2[0]);
        Assert.Equal(new Dictionary<string, uint> { ["a"] = 0, ["b"] = 1 }, PriorityByZone(a1));
        Assert.Equal(new Dictionary<string, uint> { ["a"] = 1, ["b"] = 0 }, PriorityByZone(b1));
        Assert.Same(a1[0], mesh.ForProxy("web-a1").Find(TypeUrls.ClusterLoadAssignment, "backend"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"localityAwareness":{"disabled":true},"loadBalancer":{"type":"Random"}}""")]
    public void Without_locality_awareness_every_caller_gets_the_one_shared_selection(string? conf)
    {
        var mesh = conf is null ? Mesh() : Mesh(Policy(conf));

        var a1 = mesh.ForProxy("web-a1").Named(TypeUrls.ClusterLoadAssignment, Backend);
        var b1 = mesh.ForProxy("web-b1").Named(TypeUrls.ClusterLoadAssignment, Backend);

        Assert.Same(a1, b1);
        Assert.Equal(new Dictionary<string, uint> { ["a"] = 0, ["b"] = 0 }, PriorityByZone(a1));
    }

    [Fact]
    public void When_the_callers_zone_has_no_endpoint_the_next_priority_becomes_the_first()
    {
        var mesh = InProcessMesh.Build(
        [
            ("web-a1", Dataplane("10.0.0.1", "web", "a", "backend")),
            ("backend-b", Dataplane("10.0.1.2", "backend", "b")),
        ], policies: [Policy("""{"localityAwareness":{"crossZone":{"failover":[{"to":{"type":"Any"}}]}}}""")]);

        // Kuma puts zone b at priority 1; gRPC refuses a priority 1 without a 0, and Envoy treats them alike.
        Assert.Equal(new Dictionary<string, uint> { ["b"] = 0 }, PriorityByZone(mesh.ForProxy("web-a1").Named(TypeUrls.ClusterLoadAssignment, Backend)));
    }

    [Fact]
    public void Proxyless_clients_get_ring_hash_on_headers_and_locality_priorities()
    {
        var plugin = new MeshLoadBalancingStrategyPlugin();
        var target = new OutboundTarget("backend", "grpc");
        Assert.Empty(plugin.ProxylessGaps(target, Conf("""
            {"loadBalancer":{"type":"RingHash","ringHash":{"minRingSize":64}},"hashPolicies":[{"type":"Header","header":{"name":"x-user"}}],
             "localityAwareness":{"localZone":{"affinityTags":[{"key":"rack"}]},"crossZone":{"failover":[{"to":{"type":"Any"}}]}}}
            """)));
        Assert.Equal(
            ["default.loadBalancer.ringHash.hashFunction", "default.hashPolicies[].type", "default.localityAwareness.crossZone.failoverThreshold"],
            plugin.ProxylessGaps(target, Conf("""
                {"loadBalancer":{"type":"RingHash","ringHash":{"hashFunction":"MurmurHash2"}},
                 "hashPolicies":[{"type":"Header","header":{"name":"x-user"}},{"type":"Cookie","cookie":{"name":"s"}}],
                 "localityAwareness":{"crossZone":{"failoverThreshold":{"percentage":70}}}}
                """)).Select(g => g.Field));
        Assert.Equal(["default.loadBalancer.type", "default.loadBalancer.maglev.hashPolicies[].type"],
            plugin.ProxylessGaps(target, Conf("""{"loadBalancer":{"type":"Maglev","maglev":{"hashPolicies":[{"type":"FilterState","filterState":{"key":"k"}}]}}}"""))
                .Select(g => g.Field));
    }

    private static JsonObject Conf(string json) => JsonNode.Parse(json)!.AsObject();
}
