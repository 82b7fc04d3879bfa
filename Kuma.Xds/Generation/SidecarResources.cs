using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Filter = Envoy.Config.Listener.V3.Filter;

namespace Kuma.Xds.Generation;

/// <summary>The listeners and local clusters of one Envoy sidecar, in Kuma's naming.</summary>
internal static class SidecarResources
{
    public static (Listener Listener, Cluster LocalCluster) Inbound(InboundInputs inputs)
    {
        var address = inputs.Address;
        var port = inputs.Port;
        var servicePort = inputs.ServicePort;
        var tags = inputs.Tags.Values;
        var service = inputs.Service;
        var protocol = inputs.Protocol;
        var transparent = inputs.Transparent;
        var localCluster = EnvoyNames.LocalCluster(servicePort);
        var listenerName = EnvoyNames.Inbound(address, port);
        var statPrefix = EnvoyNames.Sanitize(localCluster);

        var filter = EnvoyBuild.IsHttp(protocol)
            ? new Filter
            {
                Name = EnvoyBuild.HttpConnectionManagerFilter,
                TypedConfig = Any.Pack(new HttpConnectionManager
                {
                    StatPrefix = statPrefix,
                    ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.SanitizeSet,
                    SetCurrentClientCertDetails = new HttpConnectionManager.Types.SetCurrentClientCertDetails { Uri = true },
                    RouteConfig = Route(service is null ? listenerName : EnvoyNames.InboundRoute(service), service ?? listenerName, localCluster,
                        removeKumaTags: true),
                    HttpFilters = { EnvoyBuild.Router() },
                }),
            }
            : TcpProxy(statPrefix, localCluster);

        var listener = new Listener
        {
            Name = listenerName,
            Address = EnvoyBuild.SocketAddress(address, port),
            TrafficDirection = TrafficDirection.Inbound,
            EnableReusePort = false,
            Metadata = EnvoyBuild.Tags(tags, "io.kuma.tags"),
            FilterChains = { new FilterChain { Filters = { filter } } },
        };
        if (transparent) listener.BindToPort = false;
        if (inputs.Mtls is { } mtls) MtlsContexts.SecureInbound(listener, mtls);

        var workload = inputs.WorkloadAddress;
        var cluster = new Cluster
        {
            Name = localCluster,
            AltStatName = statPrefix,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = EnvoyBuild.Seconds(10),
            LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = localCluster,
                Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = EnvoyBuild.SocketAddress(workload, servicePort) } } } } },
            },
        };
        if (protocol is "http2" or "grpc") cluster.TypedExtensionProtocolOptions[EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions();
        if (transparent && workload is not ("127.0.0.1" or "::1"))
            cluster.UpstreamBindConfig = new BindConfig { SourceAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.6", PortValue = 0 } };
        return (listener, cluster);
    }

    /// <summary>A listener for one outbound; the same for every proxy with that outbound, so it is shared.</summary>
    /// <remarks>The caller's <c>x-kuma-tags</c>, when the mesh needs it, is stamped afterwards (<see cref="ListenerTemplate"/>).</remarks>
    public static Listener Outbound(string address, uint port, string service, string protocol, IEnumerable<KeyValuePair<string, string>> tags, bool transparent)
    {
        var route = Route(EnvoyNames.OutboundRoute(service), service, service, removeKumaTags: false);
        var filter = EnvoyBuild.IsHttp(protocol)
            ? new Filter
            {
                Name = EnvoyBuild.HttpConnectionManagerFilter,
                TypedConfig = Any.Pack(new HttpConnectionManager
                {
                    StatPrefix = EnvoyNames.Sanitize(service),
                    NormalizePath = true,
                    RouteConfig = route,
                    HttpFilters = { EnvoyBuild.Router() },
                }),
            }
            : TcpProxy(EnvoyNames.Sanitize(service), service);
        var listener = new Listener
        {
            Name = EnvoyNames.Outbound(address, port),
            Address = EnvoyBuild.SocketAddress(address, port),
            TrafficDirection = TrafficDirection.Outbound,
            Metadata = EnvoyBuild.Tags(tags.Where(t => t.Key != "kuma.io/mesh"), "io.kuma.tags"),
            FilterChains = { new FilterChain { Filters = { filter } } },
        };
        if (transparent) listener.BindToPort = false;
        return listener;
    }

    /// <summary>
    /// Transparent proxying: catch-all listeners on the redirect ports and their original-destination clusters, for
    /// IPv4 and, unless the proxy is IPv4 only, for IPv6 too (on <c>::</c>, inbound traffic sent on from <c>::6</c>).
    /// </summary>
    public static IEnumerable<(Listener Listener, Cluster? Cluster)> Passthrough(uint inboundPort, uint outboundPort, bool outboundPassthroughAllowed, bool ipv6)
    {
        var families = ipv6
            ? new[] { (Any: "0.0.0.0", Local: "127.0.0.6", Outbound: EnvoyNames.OutboundPassthroughIpv4, Inbound: EnvoyNames.InboundPassthroughIpv4),
                      (Any: "::", Local: "::6", Outbound: EnvoyNames.OutboundPassthroughIpv6, Inbound: EnvoyNames.InboundPassthroughIpv6) }
            : [("0.0.0.0", "127.0.0.6", EnvoyNames.OutboundPassthroughIpv4, EnvoyNames.InboundPassthroughIpv4)];
        foreach (var family in families)
        {
            if (outboundPort > 0)
                yield return (PassthroughListener(family.Outbound, family.Any, outboundPort, TrafficDirection.Outbound),
                    outboundPassthroughAllowed ? OriginalDestination(family.Outbound, bindAddress: null) : null);
            if (inboundPort > 0)
                yield return (PassthroughListener(family.Inbound, family.Any, inboundPort, TrafficDirection.Inbound),
                    OriginalDestination(family.Inbound, bindAddress: family.Local));
        }
    }

    /// <summary>
    /// Kuma's IPv6 switch for a Dataplane's transparent proxying: on unless <c>ipFamilyMode</c> is IPv4 (an
    /// unspecified mode counts as dual stack, as it did before the field existed).
    /// </summary>
    public static bool PassthroughIpv6(string? ipFamilyMode) => !string.Equals(ipFamilyMode, "ipv4", StringComparison.OrdinalIgnoreCase);

    private static Listener PassthroughListener(string name, string address, uint port, TrafficDirection direction)
    {
        var listener = new Listener
        {
            Name = name,
            Address = EnvoyBuild.SocketAddress(address, port),
            TrafficDirection = direction,
            UseOriginalDst = true,
            FilterChains = { new FilterChain { Filters = { TcpProxy(EnvoyNames.Sanitize(name), name) } } },
        };
        // Kuma builds the inbound ones as inbound listeners, which say so about port reuse.
        if (direction == TrafficDirection.Inbound) listener.EnableReusePort = false;
        return listener;
    }

    private static Cluster OriginalDestination(string name, string? bindAddress)
    {
        var cluster = new Cluster
        {
            Name = name,
            AltStatName = EnvoyNames.Sanitize(name),
            Type = Cluster.Types.DiscoveryType.OriginalDst,
            LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
            ConnectTimeout = EnvoyBuild.Seconds(5),
        };
        if (bindAddress is not null) cluster.UpstreamBindConfig = new BindConfig { SourceAddress = new Envoy.Config.Core.V3.SocketAddress { Address = bindAddress, PortValue = 0 } };
        return cluster;
    }

    private static Filter TcpProxy(string statPrefix, string cluster) => new()
    {
        Name = EnvoyBuild.TcpProxyFilter,
        TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster }),
    };

    private static RouteConfiguration Route(string name, string virtualHost, string cluster, bool removeKumaTags)
    {
        var route = new RouteConfiguration
        {
            Name = name,
            ValidateClusters = false,
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = virtualHost,
                    Domains = { "*" },
                    Routes = { new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = cluster, Timeout = EnvoyBuild.Seconds(0) } } },
                },
            },
        };
        if (removeKumaTags) route.RequestHeadersToRemove.Add(KumaTagsHeader.Name);
        return route;
    }
}
