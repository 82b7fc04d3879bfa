using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies;
using Kuma.Policies.MeshTcpRoute;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>What the goldens do not show: who else routes an outbound, backends nothing can reach, proxyless clients.</summary>
public sealed class MeshTcpRoutePluginTests
{
    private const string TcpProxyName = "envoy.filters.network.tcp_proxy";
    private const string HcmName = "envoy.filters.network.http_connection_manager";

    private static readonly MeshTcpRoutePlugin Plugin = new();

    private static readonly JsonObject ToDb = Conf("""
        {"rules":[{"default":{"backendRefs":[{"kind":"MeshService","name":"db","weight":3},
                                             {"kind":"MeshServiceSubset","name":"db","tags":{"version":"v2"},"weight":0},
                                             {"kind":"MeshService","name":"vault","weight":2},
                                             {"kind":"MeshExternalService","name":"external","weight":5}]}}]}
        """);

    private static JsonObject Conf(string json) => JsonNode.Parse(json)!.AsObject();

    private static string ProtocolOf(string service) => service == "vault" ? "tls" : "tcp";

    [Fact]
    public void Backends_with_weight_0_unresolvable_or_speaking_TLS_get_no_cluster()
    {
        var target = new OutboundTarget("backend", "http") { RoutedBy = "MeshTCPRoute" };

        var clusters = Plugin.OutboundClusters(target, ToDb, ProtocolOf);

        Assert.Equal(["db"], clusters!.Select(c => c.Name));
    }

    [Fact]
    public void An_HTTP_outbound_it_routes_becomes_a_TCP_proxy_to_the_declared_clusters()
    {
        var listener = Listener(HcmName, new HttpConnectionManager { StatPrefix = "backend" });
        var target = new OutboundTarget("backend", "http") { RoutedBy = "MeshTCPRoute", Clusters = new ClusterRefs([ClusterRef.Whole("db")]) };

        Plugin.OutboundListener(listener, target, ToDb, []);

        var filter = listener.FilterChains.Single().Filters.Single();
        Assert.Equal(TcpProxyName, filter.Name);
        var proxy = filter.TypedConfig.Unpack<TcpProxy>();
        Assert.Equal("backend", proxy.StatPrefix);
        Assert.Equal("db", proxy.Cluster);
    }

    [Fact]
    public void Outbounds_routed_by_another_type_or_of_proxyless_clients_are_left_alone()
    {
        var routedByHttp = new OutboundTarget("backend", "http") { RoutedBy = "MeshHTTPRoute" };
        var proxyless = new OutboundTarget("backend", "tcp") { Proxyless = true };
        var unclaimedHttp = new OutboundTarget("backend", "http");
        foreach (var target in new[] { routedByHttp, proxyless, unclaimedHttp })
        {
            var listener = Listener(HcmName, new HttpConnectionManager { StatPrefix = "backend" });
            var before = listener.Clone();

            Plugin.OutboundListener(listener, target, ToDb, []);

            Assert.Equal(before, listener);
            Assert.Null(Plugin.OutboundClusters(target, ToDb, ProtocolOf));
        }
    }

    [Fact]
    public void A_route_whose_every_backend_is_dropped_leaves_the_chain_without_a_proxy_as_Kuma_does()
    {
        var listener = Listener(TcpProxyName, new TcpProxy { StatPrefix = "backend", Cluster = "backend" });
        var onlyZero = Conf("""{"rules":[{"default":{"backendRefs":[{"kind":"MeshService","name":"db","weight":0}]}}]}""");
        var target = new OutboundTarget("backend", "tcp") { RoutedBy = "MeshTCPRoute" };

        Assert.Empty(Plugin.OutboundClusters(target, onlyZero, ProtocolOf)!);
        Plugin.OutboundListener(listener, target, onlyZero, []);

        Assert.Empty(listener.FilterChains.Single().Filters);
    }

    [Fact]
    public void A_proxyless_client_never_gets_a_TCP_route()
    {
        foreach (var conf in new[] { ToDb, Conf("{}") })
        {
            var gaps = Plugin.ProxylessGaps(new OutboundTarget("backend", "grpc"), conf).ToList();
            Assert.Equal(["rules"], gaps.Select(g => g.Field));
            Assert.All(gaps, g => Assert.False(string.IsNullOrWhiteSpace(g.Reason)));
        }
    }

    private static Listener Listener(string filterName, Google.Protobuf.IMessage config) => new()
    {
        Name = "outbound:127.0.0.1:10001",
        FilterChains = { new FilterChain { Filters = { new Filter { Name = filterName, TypedConfig = Any.Pack(config) } } } },
    };
}
