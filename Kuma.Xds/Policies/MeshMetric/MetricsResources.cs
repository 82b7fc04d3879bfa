using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;
using Filter = Envoy.Config.Listener.V3.Filter;
using GrpcStats = Envoy.Extensions.Filters.Http.GrpcStats.V3.FilterConfig;

namespace Kuma.Policies.MeshMetric;

/// <summary>The listeners and clusters MeshMetric adds to a proxy, named and shaped as Kuma generates them.</summary>
internal static class MetricsResources
{
    public const string PrometheusListenerPrefix = "_kuma:metrics:prometheus:";
    public const string OpenTelemetryPrefix = "_kuma:metrics:opentelemetry:";
    public const string HijackerCluster = "_kuma:metrics:hijacker";
    /// <summary>Where the hijacker serves the proxy's stats filtered by the policy (Prometheus paths are rewritten to it).</summary>
    public const string HijackerStatsPath = "/meshmetric";
    private const string GrpcStatsFilter = "envoy.filters.http.grpc_stats";

    /// <summary>
    /// Envoy's HTTP listener for Prometheus to scrape, on the dataplane's address, forwarding to kuma-dp. With a
    /// certificate (ProvidedTLS) it has Kuma's two chains: one for connections Envoy sees as TLS, with no TLS
    /// context of its own, and a catch-all that terminates TLS with the files kuma-dp named.
    /// </summary>
    public static Listener PrometheusListener(string name, string address, uint port, string path, ProxyNode? certificate = null)
    {
        var listener = new Listener
        {
            Name = name,
            Address = EnvoyBuild.SocketAddress(address, port),
            EnableReusePort = false,
            TrafficDirection = TrafficDirection.Inbound,
        };
        var routes = StaticRoutes(name, HijackerCluster, path, HijackerStatsPath);
        if (certificate is null)
        {
            listener.FilterChains.Add(Chain(routes));
            return listener;
        }
        var tlsMatched = Chain(routes);
        tlsMatched.FilterChainMatch = new FilterChainMatch { TransportProtocol = "tls" };
        var terminating = Chain(routes.Clone());
        terminating.TransportSocket = new TransportSocket
        {
            Name = "envoy.transport_sockets.tls",
            TypedConfig = Any.Pack(new DownstreamTlsContext
            {
                CommonTlsContext = new CommonTlsContext
                {
                    TlsCertificates =
                    {
                        new TlsCertificate
                        {
                            CertificateChain = new DataSource { Filename = certificate.MetricsCertPath },
                            PrivateKey = new DataSource { Filename = certificate.MetricsKeyPath },
                        },
                    },
                },
            }),
        };
        listener.FilterChains.Add(tlsMatched);
        listener.FilterChains.Add(terminating);
        return listener;
    }

    /// <summary>kuma-dp's metrics hijacker, reached over its unix socket.</summary>
    public static Cluster Hijacker(string socket) => PipeCluster(HijackerCluster, socket);

    /// <summary>The socket kuma-dp pushes OpenTelemetry metrics into; Envoy forwards them to the collector over gRPC.</summary>
    public static Listener OpenTelemetryListener(string name, string socket)
    {
        var hcm = StaticRoutes(name, name, "/", rewrite: null);
        // Before the router: gRPC call counts per collector.
        hcm.HttpFilters.Insert(0, new HttpFilter { Name = GrpcStatsFilter, TypedConfig = Any.Pack(new GrpcStats { EmitFilterState = true }) });
        return new Listener { Name = name, Address = new Address { Pipe = new Pipe { Path = socket } }, FilterChains = { Chain(hcm) } };
    }

    /// <summary>The collector: by DNS unless it is an IP address, over HTTP/2.</summary>
    public static Cluster OpenTelemetryCluster(string name, string host, uint port, bool ipv6Proxy)
    {
        var isIp = IPAddress.TryParse(host, out _);
        var cluster = new Cluster
        {
            Name = name,
            AltStatName = EnvoyNames.Sanitize(name),
            ConnectTimeout = EnvoyBuild.Seconds(5),
            Type = isIp ? Cluster.Types.DiscoveryType.Static : Cluster.Types.DiscoveryType.StrictDns,
            LoadAssignment = Assignment(name, EnvoyBuild.SocketAddress(host, port)),
        };
        if (!isIp) cluster.DnsLookupFamily = ipv6Proxy ? Cluster.Types.DnsLookupFamily.Auto : Cluster.Types.DnsLookupFamily.V4Only;
        cluster.TypedExtensionProtocolOptions[EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions();
        return cluster;
    }

    private static Cluster PipeCluster(string name, string socket) => new()
    {
        Name = name,
        AltStatName = EnvoyNames.Sanitize(name),
        ConnectTimeout = EnvoyBuild.Seconds(5),
        Type = Cluster.Types.DiscoveryType.Static,
        LoadAssignment = Assignment(name, new Address { Pipe = new Pipe { Path = socket } }),
    };

    private static ClusterLoadAssignment Assignment(string name, Address address) => new()
    {
        ClusterName = name,
        Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = address } } } } },
    };

    /// <summary>Routes a path prefix to a cluster (Kuma's static endpoints), named after the listener.</summary>
    private static HttpConnectionManager StaticRoutes(string name, string cluster, string prefix, string? rewrite)
    {
        var action = new RouteAction { Cluster = cluster };
        if (rewrite is not null) action.PrefixRewrite = rewrite;
        return LocalHttp(name, new RouteConfiguration
        {
            VirtualHosts = { new VirtualHost { Name = name, Domains = { "*" }, Routes = { new Route { Match = new RouteMatch { Prefix = prefix }, Route_ = action } } } },
            ValidateClusters = false,
        });
    }

    public static FilterChain Chain(HttpConnectionManager hcm) =>
        new() { Filters = { new Filter { Name = EnvoyBuild.HttpConnectionManagerFilter, TypedConfig = Any.Pack(hcm) } } };

    /// <summary>
    /// An HTTP connection manager for local callers (kuma-dp, a scraper): only loopback counts as internal
    /// (Kuma adds ::1 when kuma-dp reports IPv6, which this control plane is not told).
    /// </summary>
    public static HttpConnectionManager LocalHttp(string name, RouteConfiguration routes) => new()
    {
        StatPrefix = EnvoyNames.Sanitize(name),
        HttpFilters = { EnvoyBuild.Router() },
        RouteConfig = routes,
        InternalAddressConfig = new HttpConnectionManager.Types.InternalAddressConfig
        {
            CidrRanges = { new CidrRange { AddressPrefix = "127.0.0.1", PrefixLen = 32 } },
        },
    };
}
