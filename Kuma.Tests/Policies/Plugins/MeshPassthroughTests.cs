using Envoy.Config.Listener.V3;
using Kuma.Grains;
using Kuma.Policies.MeshPassthrough;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// MeshPassthrough beyond the golden cases: the mesh's own passthrough setting as an input of the proxy-wide step,
/// merges that no chain can express, and the order of chains where Kuma's order has ties.
/// </summary>
public sealed class MeshPassthroughTests
{
    private const string Sidecar = """
        {"networking":{"address":"10.0.0.1","transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001},
         "inbound":[{"port":8080,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}]}}
        """;

    private static MeshContext Mesh(long generation, bool meshPassthrough, params (string Name, string Spec)[] policies) =>
        MeshContext.Build(InProcessMesh.Snapshot([("web-1", Sidecar)], generation: generation,
            policies: policies.Select(p => ("MeshPassthrough", p.Name, p.Spec)),
            meshSpec: """{"networking":{"outbound":{"passthrough":PASSTHROUGH}}}""".Replace("PASSTHROUGH", meshPassthrough ? "true" : "false", StringComparison.Ordinal)));

    private static List<string> ClusterNames(ProxyConfig config) => [.. config.Wildcard(TypeUrls.Cluster).Select(c => c.Name)];

    [Fact]
    public void Turning_the_mesh_passthrough_off_under_an_All_policy_keeps_the_clusters_in_incremental_and_scratch_builds_alike()
    {
        var all = ("all", """{"targetRef":{"kind":"Mesh"},"default":{"passthroughMode":"All"}}""");
        var first = Mesh(1, meshPassthrough: true, all);
        Assert.Equal(["inbound:passthrough:ipv4", "inbound:passthrough:ipv6", "localhost:8080", "outbound:passthrough:ipv4", "outbound:passthrough:ipv6"],
            ClusterNames(first.ForProxy("web-1")));

        var snapshot = InProcessMesh.Snapshot([("web-1", Sidecar)], generation: 2, policies: [("MeshPassthrough", all.Item1, all.Item2)],
            meshSpec: """{"networking":{"outbound":{"passthrough":false}}}""");
        var incremental = MeshContext.Build(snapshot, first).ForProxy("web-1");
        var scratch = MeshContext.Build(snapshot).ForProxy("web-1");

        // With the mesh's passthrough off, All adds both families' clusters, as Kuma does.
        Assert.Equal(["inbound:passthrough:ipv4", "inbound:passthrough:ipv6", "localhost:8080", "outbound:passthrough:ipv4", "outbound:passthrough:ipv6"],
            ClusterNames(scratch));
        Assert.Equal(scratch.Wildcard(TypeUrls.Cluster).Select(c => (c.Name, c.Payload)), incremental.Wildcard(TypeUrls.Cluster).Select(c => (c.Name, c.Payload)));
        Assert.Equal(scratch.Wildcard(TypeUrls.Listener).Select(c => (c.Name, c.Payload)), incremental.Wildcard(TypeUrls.Listener).Select(c => (c.Name, c.Payload)));
    }

    [Fact]
    public void Two_policies_putting_two_HTTP_flavours_on_one_port_leave_the_passthrough_closed()
    {
        var http = ("a-http", """{"targetRef":{"kind":"Mesh"},"default":{"appendMatch":[{"type":"Domain","value":"a.com","port":80,"protocol":"http"}]}}""");
        var grpc = ("b-grpc", """{"targetRef":{"kind":"Mesh"},"default":{"appendMatch":[{"type":"Domain","value":"b.com","port":80,"protocol":"grpc"}]}}""");
        var config = Mesh(1, meshPassthrough: true, http, grpc).ForProxy("web-1");

        Assert.Equal(["inbound:passthrough:ipv4", "inbound:passthrough:ipv6", "localhost:8080"], ClusterNames(config));
        foreach (var name in new[] { EnvoyNames.OutboundPassthroughIpv4, EnvoyNames.OutboundPassthroughIpv6 })
        {
            var listener = config.Wildcard(TypeUrls.Listener).Single(l => l.Name == name).Payload.Unpack<Listener>();
            Assert.Empty(listener.ListenerFilters);
            Assert.Equal([""], listener.FilterChains.Select(c => c.Name));
        }
    }

    [Fact]
    public void Chains_are_ordered_by_protocol_then_kind_then_port_then_value_as_Kuma_orders_them()
    {
        PassthroughMatch M(string type, string value, uint? port, string protocol) => new() { Type = type, Value = value, Port = port, Protocol = protocol };
        var chains = PassthroughMatches.Ordered(
        [
            M("CIDR", "10.0.0.0/8", 80, "http"),
            M("CIDR", "10.1.0.0/16", 80, "http"),
            M("IP", "10.0.0.2", 80, "tcp"),
            M("IP", "10.0.0.1", 80, "tcp"),
            M("Domain", "*.a.com", 443, "tls"),
            M("Domain", "x.a.com", 443, "tls"),
            M("Domain", "b.com", 443, "tls"),
            M("Domain", "y.b.com", 80, "http"),
            M("Domain", "*.c.com", 80, "http"),
        ])!.Value;

        Assert.Equal(
        [
            "tls Domain 443 x.a.com", "tls Domain 443 b.com", "tls WildcardDomain 443 *.a.com",
            "tcp Ip 80 10.0.0.2", "tcp Ip 80 10.0.0.1",
            "http Cidr 80 10.1.0.0/16", "http Cidr 80 10.0.0.0/8", "http Domain 80 ",
        ], chains.Select(c => $"{c.Protocol} {c.Kind} {c.Port} {c.Value}"));
        // One HTTP chain for the port's domains: exact ones before wildcards.
        Assert.Equal(["y.b.com", "*.c.com"], chains[^1].Routes.Select(r => r.Value));
    }

    [Fact]
    public void A_MeshAccessLog_to_entry_coming_and_going_logs_on_both_passthrough_listeners_in_incremental_and_scratch_builds_alike()
    {
        var log = ("MeshAccessLog", "log", """{"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"backends":[{"type":"File","file":{"path":"/tmp/out.log"}}]}}]}""");
        MeshSnapshot Snapshot(long generation, bool withLog) => InProcessMesh.Snapshot([("web-1", Sidecar)], generation: generation,
            policies: withLog ? [log] : []);
        List<(string Name, int Logs)> PassthroughLogs(MeshContext mesh) =>
        [
            .. mesh.ForProxy("web-1").Wildcard(TypeUrls.Listener).Where(l => l.Name.StartsWith("outbound:passthrough:", StringComparison.Ordinal))
                .Select(l => (l.Name, l.Payload.Unpack<Listener>().FilterChains.Sum(c =>
                    c.Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>().AccessLog.Count))),
        ];

        var without = MeshContext.Build(Snapshot(1, withLog: false));
        Assert.Equal([("outbound:passthrough:ipv4", 0), ("outbound:passthrough:ipv6", 0)], PassthroughLogs(without));
        var with = MeshContext.Build(Snapshot(2, withLog: true), without);
        Assert.Equal([("outbound:passthrough:ipv4", 1), ("outbound:passthrough:ipv6", 1)], PassthroughLogs(with));
        Assert.Equal(MeshContext.Build(Snapshot(2, withLog: true)).ForProxy("web-1").Wildcard(TypeUrls.Listener).Select(l => (l.Name, l.Payload)),
            with.ForProxy("web-1").Wildcard(TypeUrls.Listener).Select(l => (l.Name, l.Payload)));
        var gone = MeshContext.Build(Snapshot(3, withLog: false), with);
        Assert.Equal([("outbound:passthrough:ipv4", 0), ("outbound:passthrough:ipv6", 0)], PassthroughLogs(gone));
    }
}
