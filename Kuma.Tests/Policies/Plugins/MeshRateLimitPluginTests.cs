using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies;
using Kuma.Policies.MeshRateLimit;
using Kuma.Policies.Rules;
using HttpLocalRateLimit = Envoy.Extensions.Filters.Http.LocalRatelimit.V3.LocalRateLimit;
using TcpLocalRateLimit = Envoy.Extensions.Filters.Network.LocalRatelimit.V3.LocalRateLimit;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>What the goldens do not show: limits already on a listener, and the plugin's account for proxyless clients.</summary>
public sealed class MeshRateLimitPluginTests
{
    private static readonly InboundTarget Http = new("backend", "http", 9001);

    private static readonly InboundRules Limits = new(JsonNode.Parse("""
        {"local":{"http":{"requestRate":{"num":5,"interval":"1s"}},"tcp":{"connectionRate":{"num":7,"interval":"2s"}}}}
        """)!.AsObject(), []);

    [Fact]
    public void A_route_keeps_a_limit_it_already_has_and_the_filters_are_not_doubled()
    {
        var earlier = Any.Pack(new HttpLocalRateLimit { StatPrefix = "earlier" });
        var listener = HttpListener(routes: [RouteTo("/kept", earlier), RouteTo("/", limit: null)]);
        var plugin = new MeshRateLimitPlugin();

        plugin.InboundListener(listener, Http, Limits);
        plugin.InboundListener(listener, Http, Limits);

        var chain = listener.FilterChains.Single();
        Assert.Equal(["envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit", "envoy.filters.network.http_connection_manager"],
            chain.Filters.Select(f => f.Name));
        var tcp = chain.Filters[0].TypedConfig.Unpack<TcpLocalRateLimit>();
        Assert.Equal("tcp_rate_limit", tcp.StatPrefix);
        Assert.Equal(7u, tcp.TokenBucket.MaxTokens);
        Assert.Equal(7u, tcp.TokenBucket.TokensPerFill);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(2)), tcp.TokenBucket.FillInterval);
        var hcm = chain.Filters[1].TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal(["envoy.filters.http.local_ratelimit", "envoy.filters.http.router"], hcm.HttpFilters.Select(f => f.Name));
        var routes = hcm.RouteConfig.VirtualHosts.Single().Routes;
        Assert.Equal("earlier", routes[0].TypedPerFilterConfig["envoy.filters.http.local_ratelimit"].Unpack<HttpLocalRateLimit>().StatPrefix);
        var added = routes[1].TypedPerFilterConfig["envoy.filters.http.local_ratelimit"].Unpack<HttpLocalRateLimit>();
        Assert.Equal(5u, added.TokenBucket.MaxTokens);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(1)), added.TokenBucket.FillInterval);
        Assert.Equal("local_rate_limit_enforced", added.FilterEnforced.RuntimeKey);
    }

    [Fact]
    public void An_inbound_without_catch_all_rules_is_left_alone()
    {
        var listener = HttpListener(routes: [RouteTo("/", limit: null)]);
        var before = listener.Clone();

        new MeshRateLimitPlugin().InboundListener(listener, Http, InboundRules.Empty);

        Assert.Equal(before, listener);
    }

    [Fact]
    public void A_tcp_inbound_gets_only_the_connection_limit()
    {
        var listener = new Listener
        {
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { Cluster = "frontend" }) } } } },
        };

        new MeshRateLimitPlugin().InboundListener(listener, new InboundTarget("frontend", "tcp", 9002), Limits);

        Assert.Equal(["envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit", "envoy.filters.network.tcp_proxy"],
            listener.FilterChains.Single().Filters.Select(f => f.Name));
    }

    [Fact]
    public void Proxyless_clients_get_none_of_it()
    {
        var plugin = new MeshRateLimitPlugin();
        var conf = Limits.Conf!;
        var target = new OutboundTarget("backend", "grpc");

        Assert.Equal(["default"], plugin.ProxylessGaps(target, conf).Select(g => g.Field));
        Assert.Equal(["default.local"], plugin.ProxylessDestinationGaps(target, conf).Select(g => g.Field));
    }

    private static Route RouteTo(string prefix, Any? limit)
    {
        var route = new Route { Match = new RouteMatch { Prefix = prefix }, Route_ = new RouteAction { Cluster = "localhost:9001" } };
        if (limit is not null) route.TypedPerFilterConfig["envoy.filters.http.local_ratelimit"] = limit;
        return route;
    }

    private static Listener HttpListener(IEnumerable<Route> routes)
    {
        var hcm = new HttpConnectionManager
        {
            StatPrefix = "localhost_9001",
            RouteConfig = new RouteConfiguration { Name = "inbound:backend", VirtualHosts = { new VirtualHost { Name = "backend", Domains = { "*" }, Routes = { routes } } } },
            HttpFilters = { new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Router()) } },
        };
        return new Listener
        {
            Name = "inbound:10.0.0.1:9001",
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(hcm) } } } },
        };
    }
}
