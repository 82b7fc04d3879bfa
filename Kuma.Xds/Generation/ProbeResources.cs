using System.Collections.Immutable;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// One virtual probe path: GET <see cref="Path"/> on the probe port goes to the application's <see cref="InboundPath"/>
/// through the local cluster of the inbound whose workload port is <see cref="InboundPort"/>, or, when no inbound
/// has that port (<see cref="HasInbound"/> false), is answered with a redirect to that port and path.
/// </summary>
public sealed record ProbeRoute(string Path, string InboundPath, uint InboundPort, bool HasInbound);

/// <summary>The probe listener of a Dataplane with <c>probes</c>.</summary>
public sealed record ProbeInputs(string Address, uint Port, bool Transparent, bool Ipv6Enabled, bool ReusePort, ImmutableArray<ProbeRoute> Routes) : UnitInputs
{
    public bool Equals(ProbeInputs? other) =>
        other is not null && Address == other.Address && Port == other.Port && Transparent == other.Transparent
        && Ipv6Enabled == other.Ipv6Enabled && ReusePort == other.ReusePort && Routes.AsSpan().SequenceEqual(other.Routes.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Address, Port, Transparent, Ipv6Enabled, ReusePort, Routes.Length);
}

/// <summary>
/// Kuma's virtual probes: health checkers (kubelet, or anyone outside the pod or host) probe the application through
/// the sidecar on one port, <c>probe:listener</c>, even when the application's own ports only accept mesh traffic.
/// Each probe path goes to its inbound's local cluster with the path rewritten to the application's.
/// </summary>
public static class ProbeResources
{
    public const string ListenerName = "probe:listener";
    public const string RouteName = "probe:route_configuration";
    public const string VirtualHostName = "probe";

    /// <summary>The probe unit of a Dataplane with <c>probes</c>; null without them, or when kuma-dp proxies probes itself.</summary>
    public static ProbeInputs? InputsOf(DataplaneSpec spec, bool transparent, ProxyNode node)
    {
        if (spec.Probes is not { } probes || node.Admin.AppProbeProxy) return null;
        var workloadPorts = (spec.Networking?.Inbound ?? []).Select(i => i.ServicePort ?? i.Port ?? 0).ToHashSet();
        var routes = (probes.Endpoints ?? []).Select(e => new ProbeRoute(
            UrlPath(e.Path ?? ""), UrlPath(e.InboundPath ?? ""), e.InboundPort ?? 0, workloadPorts.Contains(e.InboundPort ?? 0)));
        return new ProbeInputs(spec.Networking?.Address ?? "", probes.Port ?? 0, transparent, node.Admin.Ipv6Enabled, node.Admin.ReusePort, [.. routes]);
    }

    public static XdsResource[] Build(ProbeInputs inputs)
    {
        var hcm = new HttpConnectionManager
        {
            StatPrefix = EnvoyNames.Sanitize(ListenerName),
            RouteConfig = new RouteConfiguration
            {
                Name = RouteName,
                VirtualHosts = { new VirtualHost { Name = VirtualHostName, Domains = { "*" }, Routes = { inputs.Routes.Select(RouteOf) } } },
            },
            HttpFilters = { EnvoyBuild.Router() },
            InternalAddressConfig = AdminResources.LoopbackInternal(inputs.Ipv6Enabled),
        };
        var listener = new Listener
        {
            Name = ListenerName,
            Address = EnvoyBuild.SocketAddress(inputs.Address, inputs.Port),
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Inbound,
            EnableReusePort = inputs.ReusePort,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = EnvoyBuild.HttpConnectionManagerFilter, TypedConfig = Any.Pack(hcm) } } } },
        };
        // With transparent proxying the probe port is redirected to the sidecar like any inbound port.
        if (inputs.Transparent) listener.BindToPort = false;
        return [AdminResources.Encode(listener)];
    }

    private static Route RouteOf(ProbeRoute probe)
    {
        var route = new Route
        {
            Match = new RouteMatch
            {
                Path = probe.Path,
                Headers = { new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { Exact = "GET" } } },
            },
        };
        if (probe.HasInbound)
        {
            route.Route_ = new RouteAction
            {
                Cluster = EnvoyNames.LocalCluster(probe.InboundPort),
                RegexRewrite = new RegexMatchAndSubstitute { Pattern = new RegexMatcher { Regex = ".*" }, Substitution = probe.InboundPath },
            };
        }
        else
        {
            // No local cluster to send it to (a container no inbound selects): the checker follows a redirect instead.
            route.Redirect = new RedirectAction { PathRedirect = probe.InboundPath, PortRedirect = probe.InboundPort };
        }
        return route;
    }

    /// <summary>
    /// The decoded path of a probe's URL (an absolute path or a whole URL, as the validator accepts), without its
    /// query or fragment: routes match and rewrite paths only, as Kuma's do.
    /// </summary>
    public static string UrlPath(string url)
    {
        var end = url.IndexOfAny(['?', '#']);
        var path = end < 0 ? url : url[..end];
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && path[0] != '/')
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash < 0 ? "" : path[slash..];
        }
        return Uri.UnescapeDataString(path);
    }
}
