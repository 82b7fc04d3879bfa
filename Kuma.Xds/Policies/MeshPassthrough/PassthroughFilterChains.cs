using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.HttpInspector.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;
using Filter = Envoy.Config.Listener.V3.Filter;

namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// The outbound passthrough listener as MeshPassthrough's <c>Matched</c> mode rebuilds it: one filter chain per
/// allowed destination in Kuma's order, each to an original-destination cluster of its own, and the listener filters
/// that read what the chains match on (the original destination, TLS server name, HTTP ALPN).
/// </summary>
internal static class PassthroughFilterChains
{
    public const string OriginalDstFilter = "envoy.filters.listener.original_dst";
    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";
    public const string HttpInspectorFilter = "envoy.filters.listener.http_inspector";

    private const string NoMatchBody =
        "This response comes from Kuma Sidecar. No routes matched this domain - check configuration of your MeshPassthrough policy.\n";

    /// <summary>
    /// Replaces the listener's chains with those of <paramref name="chains"/> for its address family, and records in
    /// <paramref name="clusters"/> each cluster they send to, with the protocol it speaks.
    /// </summary>
    public static void Configure(Listener listener, IReadOnlyList<PassthroughChain> chains, bool ipv6, IDictionary<string, string> clusters)
    {
        listener.FilterChains.Clear();
        foreach (var chain in chains)
        {
            if (ipv6 ? chain.IsIpv4Only : chain.IsIpv6Only) continue;
            listener.FilterChains.Add(chain.Protocol switch
            {
                "tcp" or "mysql" => TcpChain(chain, ipv6, clusters),
                "tls" => TlsChain(chain, ipv6, clusters),
                _ => HttpChain(chain, ipv6, clusters),
            });
        }
        // MySQL servers speak first: inspectors waiting for the client's first bytes would stall those ports.
        var quietPorts = chains.Where(c => c.Protocol == "mysql").Select(c => c.Port).ToList();
        listener.ListenerFilters.Add(Inspector(OriginalDstFilter, new OriginalDst(), []));
        if (!listener.ListenerFilters.Any(f => f.Name == TlsInspectorFilter))
            listener.ListenerFilters.Add(Inspector(TlsInspectorFilter, new TlsInspector(), quietPorts));
        if (!listener.ListenerFilters.Any(f => f.Name == HttpInspectorFilter))
            listener.ListenerFilters.Add(Inspector(HttpInspectorFilter, new HttpInspector(), quietPorts));
    }

    /// <summary>An original-destination cluster: Envoy connects where the application meant to.</summary>
    public static Cluster OriginalDestinationCluster(string name, string protocol)
    {
        var cluster = new Cluster
        {
            Name = name,
            AltStatName = EnvoyNames.Sanitize(name),
            Type = Cluster.Types.DiscoveryType.OriginalDst,
            LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
            ConnectTimeout = EnvoyBuild.Seconds(5),
        };
        if (protocol is "http2" or "grpc") cluster.TypedExtensionProtocolOptions[EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions();
        return cluster;
    }

    public static string ClusterName(string value, string protocol, uint port) => $"meshpassthrough_{protocol}_{value}_{PortText(port)}";

    /// <summary>Kuma leaves out the value when it only repeats the protocol (the shared chain of an HTTP flavour's domains).</summary>
    private static string ChainName(string value, string protocol, uint port) =>
        value == protocol ? $"meshpassthrough_{protocol}_{PortText(port)}" : $"meshpassthrough_{protocol}_{value}_{PortText(port)}";

    private static string PortText(uint port) => port == 0 ? "*" : port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>MySQL is plain TCP to Envoy, and Kuma names its chains and clusters so.</summary>
    private static FilterChain TcpChain(PassthroughChain chain, bool ipv6, IDictionary<string, string> clusters)
    {
        var cluster = ClusterName(chain.Value, "tcp", chain.Port);
        clusters[cluster] = chain.Protocol;
        return new FilterChain
        {
            Name = ChainName(chain.Value, "tcp", chain.Port),
            FilterChainMatch = ChainMatch(chain, ipv6, "raw_buffer"),
            Filters = { TcpProxyTo(cluster) },
        };
    }

    private static FilterChain TlsChain(PassthroughChain chain, bool ipv6, IDictionary<string, string> clusters)
    {
        var cluster = ClusterName(chain.Value, "tls", chain.Port);
        clusters[cluster] = chain.Protocol;
        var match = ChainMatch(chain, ipv6, "tls");
        if (chain.Kind is MatchKind.Domain or MatchKind.WildcardDomain) match.ServerNames.Add(chain.Value);
        return new FilterChain { Name = ChainName(chain.Value, "tls", chain.Port), FilterChainMatch = match, Filters = { TcpProxyTo(cluster) } };
    }

    /// <summary>
    /// Domains share one chain per port and protocol, a virtual host each (the Host header picks it) and a last one
    /// that answers 503 for any other; an IP or CIDR gets a chain of its own whose only virtual host takes any Host.
    /// </summary>
    private static FilterChain HttpChain(PassthroughChain chain, bool ipv6, IDictionary<string, string> clusters)
    {
        var byDomain = chain.Kind == MatchKind.Domain;
        var name = ChainName(byDomain ? chain.Protocol : chain.Value, chain.Protocol, chain.Port);
        var routes = new RouteConfiguration { Name = name };
        if (byDomain)
        {
            foreach (var route in chain.Routes)
            {
                var cluster = ClusterName(route.Value, chain.Protocol, chain.Port);
                clusters[cluster] = chain.Protocol;
                var host = Host(route.Value, ToCluster(cluster), route.Value);
                // A Host header may carry the port; without one to name, a plain domain takes any.
                if (chain.Port != 0) host.Domains.Add($"{route.Value}:{chain.Port}");
                else if (route.Kind == MatchKind.Domain) host.Domains.Add($"{route.Value}:*");
                routes.VirtualHosts.Add(host);
            }
            routes.VirtualHosts.Add(Host("no_match", new Route
            {
                Match = new RouteMatch { Prefix = "/" },
                DirectResponse = new DirectResponseAction { Status = 503, Body = new DataSource { InlineString = NoMatchBody } },
            }, "*"));
        }
        else
        {
            var cluster = ClusterName(chain.Value, chain.Protocol, chain.Port);
            clusters[cluster] = chain.Protocol;
            routes.VirtualHosts.Add(Host(chain.Value, ToCluster(cluster), "*"));
        }
        var match = ChainMatch(chain, ipv6, "raw_buffer");
        match.ApplicationProtocols.Add(["http/1.1", "h2c"]);
        return new FilterChain
        {
            Name = name,
            FilterChainMatch = match,
            Filters =
            {
                new Filter
                {
                    Name = EnvoyBuild.HttpConnectionManagerFilter,
                    TypedConfig = Any.Pack(new HttpConnectionManager
                    {
                        StatPrefix = EnvoyNames.Sanitize(name),
                        HttpFilters = { EnvoyBuild.Router() },
                        // Kuma's default internal addresses: only the proxy's own host counts as internal.
                        InternalAddressConfig = new HttpConnectionManager.Types.InternalAddressConfig
                        {
                            CidrRanges = { new CidrRange { AddressPrefix = "127.0.0.1", PrefixLen = 32 } },
                        },
                        RouteConfig = routes,
                    }),
                },
            },
        };
    }

    private static Route ToCluster(string cluster) =>
        new() { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster } };

    private static VirtualHost Host(string name, Route route, string domain) => new() { Name = name, Domains = { domain }, Routes = { route } };

    private static FilterChainMatch ChainMatch(PassthroughChain chain, bool ipv6, string transport)
    {
        var match = new FilterChainMatch { TransportProtocol = transport };
        switch (chain.Kind)
        {
            case MatchKind.Cidr or MatchKind.CidrV6 when AddressText.ParseCidr(chain.Value) is { } cidr:
                match.PrefixRanges.Add(new CidrRange { AddressPrefix = cidr.Network, PrefixLen = cidr.PrefixLength });
                break;
            case MatchKind.Ip or MatchKind.IpV6:
                match.PrefixRanges.Add(new CidrRange { AddressPrefix = chain.Value, PrefixLen = ipv6 ? 128u : 32u });
                break;
        }
        if (chain.Port != 0) match.DestinationPort = chain.Port;
        return match;
    }

    private static Filter TcpProxyTo(string cluster) => new()
    {
        Name = EnvoyBuild.TcpProxyFilter,
        TypedConfig = Any.Pack(new TcpProxy { StatPrefix = EnvoyNames.Sanitize(cluster), Cluster = cluster }),
    };

    /// <summary>A listener filter, off on <paramref name="disabledPorts"/>.</summary>
    private static ListenerFilter Inspector(string name, Google.Protobuf.IMessage config, List<uint> disabledPorts)
    {
        var filter = new ListenerFilter { Name = name, TypedConfig = Any.Pack(config) };
        if (disabledPorts.Count == 1) filter.FilterDisabled = PortPredicate(disabledPorts[0]);
        else if (disabledPorts.Count > 1)
            filter.FilterDisabled = new ListenerFilterChainMatchPredicate
            {
                OrMatch = new ListenerFilterChainMatchPredicate.Types.MatchSet { Rules = { disabledPorts.Select(PortPredicate) } },
            };
        return filter;
    }

    private static ListenerFilterChainMatchPredicate PortPredicate(uint port) =>
        new() { DestinationPortRange = new Int32Range { Start = (int)port, End = (int)port + 1 } };
}
