using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// The listener a proxyless gRPC server (grpc-js-xds <c>XdsServer</c>, gRPC's A36) asks LDS for by the name its
/// bootstrap's <c>server_listener_resource_name_template</c> makes of the address it binds. gRPC checks that the
/// listener's socket address is that very address, runs the chain's connection manager as a server (every route must
/// be a <c>non_forwarding_action</c>, the router filter last) and takes its TLS from the chain's
/// <c>DownstreamTlsContext</c>, with certificates from the provider instances its bootstrap names. gRPC reads no
/// listener filters, so a chain cannot be picked by TLS inspection: one default chain serves every connection.
/// </summary>
public static class ProxylessServer
{
    public const string NamePrefix = "kuma/grpc/server?listening_address=";

    /// <summary>The name gRPC asks for when it binds <paramref name="hostPort"/> (<c>0.0.0.0:50051</c>, <c>[::]:50051</c>).</summary>
    public static string Name(string hostPort) => NamePrefix + hostPort;

    /// <summary>
    /// The address and port in a server listener name, as gRPC splits them (an IPv6 host without its brackets);
    /// null for any other name, a host that is not an IP address, or a port out of range.
    /// </summary>
    public static (string Host, uint Port)? Parse(string name)
    {
        if (!name.StartsWith(NamePrefix, StringComparison.Ordinal)) return null;
        var hostPort = name[NamePrefix.Length..];
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0) return null;
        var host = hostPort[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':', StringComparison.Ordinal)) return null; // an IPv6 host needs its brackets
        if (!IPAddress.TryParse(host, out var ip) || (ip.AddressFamily == AddressFamily.InterNetworkV6) != hostPort.StartsWith('[')) return null;
        // gRPC echoes the host as the application wrote it; only canonical spellings are answered, so one name is one listener.
        if (ip.ToString() != host) return null;
        if (!uint.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535) return null;
        return (host, port);
    }

    /// <summary>
    /// The listener before policies: the address gRPC bound, one default chain whose connection manager accepts every
    /// call (gRPC's server side routes nothing) and, with the mesh's mTLS STRICT, requires a client certificate of the
    /// mesh's CA. gRPC cannot tell mesh mTLS from plaintext on one port, so a PERMISSIVE mesh's server gets STRICT's
    /// listener once its callers encrypt toward it and plaintext before (<see cref="MeshContext.ProxylessServerMtls"/>).
    /// </summary>
    public static (Listener Listener, HttpConnectionManager Hcm) Build(ProxylessServerInputs inputs)
    {
        var routeName = EnvoyNames.InboundRoute(inputs.Service);
        var hcm = new HttpConnectionManager
        {
            StatPrefix = EnvoyNames.Sanitize(EnvoyNames.LocalCluster(inputs.Port)),
            RouteConfig = new RouteConfiguration
            {
                Name = routeName,
                VirtualHosts =
                {
                    new VirtualHost
                    {
                        Name = inputs.Service,
                        Domains = { "*" },
                        Routes = { new Route { Match = new RouteMatch { Prefix = "" }, NonForwardingAction = new NonForwardingAction() } },
                    },
                },
            },
        };
        var chain = new FilterChain { Name = routeName };
        if (inputs.Mtls is { Mode: MtlsMode.Strict }) chain.TransportSocket = MtlsContexts.ProxylessServerSide();
        var listener = new Listener
        {
            Name = Name(inputs.HostPort),
            Address = EnvoyBuild.SocketAddress(inputs.Host, inputs.Port),
            DefaultFilterChain = chain,
        };
        return (listener, hcm);
    }

    /// <summary>Puts the connection manager, as plugins left it and with the router last, in the listener's chain.</summary>
    public static Listener Finish(Listener listener, HttpConnectionManager hcm)
    {
        hcm.HttpFilters.Add(EnvoyBuild.Router());
        listener.DefaultFilterChain.Filters.Add(new Filter { Name = EnvoyBuild.HttpConnectionManagerFilter, TypedConfig = Any.Pack(hcm) });
        return listener;
    }
}
