using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Resources.Core;
using Filter = Envoy.Config.Listener.V3.Filter;

namespace Kuma.Xds.Generation;

/// <summary>
/// Where a local endpoint of the sidecar's pod or host is: a loopback address and port, or a unix socket
/// (<see cref="SocketPath"/> set, then address and port are unused).
/// </summary>
public sealed record LocalEndpoint(string Address, uint Port, string SocketPath = "")
{
    public Address ToAddress() => SocketPath.Length > 0
        ? new Address { Pipe = new Pipe { Path = SocketPath } }
        : EnvoyBuild.SocketAddress(Address, Port);
}

/// <summary>
/// The admin listener <c>kuma:envoy:admin</c> on the dataplane's address (left out when that address is the admin
/// API's own loopback, where Envoy already listens), and the clusters it routes to: Envoy's admin API and kuma-dp's
/// readiness reporter. <see cref="ListenerAddress"/> is empty when there is no listener.
/// </summary>
public sealed record AdminInputs(string ListenerAddress, uint ListenerPort, LocalEndpoint Admin, LocalEndpoint Readiness, bool Ipv6Enabled, bool ReusePort) : UnitInputs;

/// <summary>
/// Kuma's admin proxy generator: the one admin path a health checker may reach from outside the pod or host
/// (<c>/ready</c>, answered by kuma-dp's readiness reporter, which says whether Envoy is ready and not draining),
/// and the admin API's cluster. Everything else of Envoy's admin API (<c>/config_dump</c>, <c>/quitquitquit</c>,
/// <c>/stats</c>, ...) stays on loopback: no route leads there from the admin listener.
/// </summary>
/// <remarks>
/// Kuma adds a second filter chain for TLS connections that routes every admin path to the admin API, behind mutual
/// TLS with a server certificate issued per proxy by a control-plane-wide "envoy admin" CA and a client certificate
/// the control plane alone holds (SAN <c>kuma-cp</c>); its control plane uses it to read a proxy's live config dump,
/// stats and clusters. We leave that chain (and its TLS inspector) out: no part of this control plane calls a
/// proxy's admin API (our config dump is the config we generate), and neither certificate we have fits it. A mesh
/// CA exists only while the mesh has mTLS, may be the operator's own, and already signs every proxy's identity, so
/// trusting it would hand admin access to peers; the DP server certificate is the control plane's own identity, and
/// its key must never be sent to proxies. A dedicated CA would put a private key into every proxy's listener for a
/// client nobody runs. Plain connections get exactly what Kuma gives them.
/// </remarks>
public static class AdminResources
{
    public const string AdminName = "kuma:envoy:admin";
    public const string ReadinessCluster = "kuma:readiness";
    public const string ReadyPath = "/ready";
    public const string ReadinessSocketName = "kuma-readiness-reporter";

    /// <summary>Admin API addresses kuma-dp may report; any other would make the admin cluster a way to reach another host.</summary>
    private static readonly string[] AllowedAdminAddresses = ["", "0.0.0.0", "127.0.0.1", "::", "::1"];

    /// <summary>The admin unit of a proxy whose node reported an admin port; null when it reported none or <see cref="Problem"/> has one.</summary>
    public static AdminInputs? InputsOf(DataplaneNetworking net, ProxyNode node)
    {
        var facts = node.Admin;
        if (facts.Port == 0 || Problem(facts) is not null) return null;
        var loopback = facts.Address switch
        {
            "" or "0.0.0.0" => "127.0.0.1",
            "::" => "::1",
            var address => address,
        };
        var admin = new LocalEndpoint(loopback, facts.Port, facts.SocketPath);
        var readiness = facts.ReadinessUnixSocket
            ? new LocalEndpoint("", 0, node.KumaDpSocket(ReadinessSocketName))
            : new LocalEndpoint(loopback, facts.ReadinessPort);
        // The admin API already listens on its loopback address and port; a second listener there would not bind.
        var listenerAddress = net.Address == loopback ? "" : net.Address ?? "";
        return new AdminInputs(listenerAddress, facts.Port, admin, readiness, facts.Ipv6Enabled, facts.ReusePort);
    }

    /// <summary>
    /// Why Kuma refuses to generate config for a node with these admin facts, in Kuma's words, or null. Kuma then
    /// sends the proxy nothing new; we leave out only the admin resources (see README).
    /// </summary>
    public static string? Problem(AdminFacts facts)
    {
        if (facts.Port == 0) return null;
        if (facts.ReadinessPort == 0) return "ReadinessPort has to be in (0, 65535] range";
        if (!AllowedAdminAddresses.Contains(facts.Address, StringComparer.Ordinal))
            return "envoy admin cluster is not allowed to have addresses other than " + string.Join(", ", AllowedAdminAddresses.Select(a => $"\"{a}\""));
        return null;
    }

    public static XdsResource[] Build(AdminInputs inputs)
    {
        var built = new List<XdsResource>
        {
            Encode(LocalCluster(AdminName, inputs.Admin)),
            Encode(LocalCluster(ReadinessCluster, inputs.Readiness)),
        };
        if (inputs.ListenerAddress.Length > 0) built.Add(Encode(Listener(inputs)));
        return [.. built];
    }

    private static Listener Listener(AdminInputs inputs)
    {
        var statPrefix = EnvoyNames.Sanitize(AdminName);
        var ready = new Route
        {
            Match = new RouteMatch { Prefix = ReadyPath },
            Route_ = new RouteAction { Cluster = ReadinessCluster, PrefixRewrite = ReadyPath },
        };
        var hcm = new HttpConnectionManager
        {
            StatPrefix = statPrefix,
            RouteConfig = new RouteConfiguration
            {
                VirtualHosts = { new VirtualHost { Name = AdminName, Domains = { "*" }, Routes = { ready } } },
                ValidateClusters = false,
            },
            HttpFilters = { EnvoyBuild.Router() },
            InternalAddressConfig = LoopbackInternal(inputs.Ipv6Enabled),
        };
        return new Listener
        {
            Name = AdminName,
            Address = EnvoyBuild.SocketAddress(inputs.ListenerAddress, inputs.ListenerPort),
            TrafficDirection = TrafficDirection.Inbound,
            EnableReusePort = inputs.ReusePort,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = EnvoyBuild.HttpConnectionManagerFilter, TypedConfig = Any.Pack(hcm) } } } },
        };
    }

    /// <summary>
    /// Only loopback clients count as internal, so headers such as <c>x-envoy-*</c> set by anyone reaching the
    /// listener from outside are not trusted.
    /// </summary>
    internal static HttpConnectionManager.Types.InternalAddressConfig LoopbackInternal(bool ipv6Enabled)
    {
        var config = new HttpConnectionManager.Types.InternalAddressConfig
        {
            CidrRanges = { new CidrRange { AddressPrefix = "127.0.0.1", PrefixLen = 32 } },
        };
        if (ipv6Enabled) config.CidrRanges.Add(new CidrRange { AddressPrefix = "::1", PrefixLen = 128 });
        return config;
    }

    private static Cluster LocalCluster(string name, LocalEndpoint endpoint) => new()
    {
        Name = name,
        AltStatName = EnvoyNames.Sanitize(name),
        Type = Cluster.Types.DiscoveryType.Static,
        ConnectTimeout = EnvoyBuild.Seconds(5),
        LoadAssignment = new ClusterLoadAssignment
        {
            ClusterName = name,
            Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = endpoint.ToAddress() } } } } },
        },
    };

    internal static XdsResource Encode(Listener listener) => XdsResource.Encode(listener.Name, listener);
    private static XdsResource Encode(Cluster cluster) => XdsResource.Encode(cluster.Name, cluster);
}
