using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Filter = Envoy.Config.Listener.V3.Filter;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Hcm = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager;
using static Envoy.Config.Cluster.V3.Cluster.Types;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// The cheap part of what Envoy demands of a resource (its proto validation rules and the checks it makes on
/// load), applied to what a patch produced so a broken result is never sent. Not every Envoy rule is here; what
/// is here would otherwise make Envoy reject the whole update.
/// </summary>
internal static class ResourceChecks
{
    public static string? Cluster(Cluster cluster)
    {
        if (cluster.Name.Length == 0) return "name must not be empty";
        if (cluster.ConnectTimeout is { } timeout && timeout.ToTimeSpan() <= TimeSpan.Zero) return "connectTimeout must be greater than 0s";
        if (cluster.ClusterDiscoveryTypeCase == Envoy.Config.Cluster.V3.Cluster.ClusterDiscoveryTypeOneofCase.ClusterType) return null;
        var endpoints = cluster.LoadAssignment?.Endpoints.Sum(e => e.LbEndpoints.Count) ?? 0;
        return cluster.Type switch
        {
            DiscoveryType.Eds when cluster.EdsClusterConfig is null => "an EDS cluster needs edsClusterConfig",
            DiscoveryType.StrictDns when endpoints == 0 => "a STRICT_DNS cluster needs endpoints in loadAssignment",
            DiscoveryType.LogicalDns when endpoints != 1 => "a LOGICAL_DNS cluster needs exactly one endpoint in loadAssignment",
            DiscoveryType.OriginalDst when cluster.LbPolicy != LbPolicy.ClusterProvided => "an ORIGINAL_DST cluster needs lbPolicy CLUSTER_PROVIDED",
            not DiscoveryType.OriginalDst when cluster.LbPolicy == LbPolicy.ClusterProvided => "lbPolicy CLUSTER_PROVIDED needs an ORIGINAL_DST cluster",
            _ => null,
        };
    }

    public static string? Listener(Listener listener)
    {
        if (listener.Name.Length == 0) return "name must not be empty";
        if (listener.Address is null) return "address must be set";
        foreach (var chain in listener.FilterChains.Append(listener.DefaultFilterChain).OfType<FilterChain>())
        {
            foreach (var filter in chain.Filters)
            {
                if (NetworkFilter(filter) is { } problem) return problem;
                if (filter.TypedConfig?.Is(Hcm.Descriptor) == true
                    && ConnectionManager(filter.TypedConfig.Unpack<Hcm>()) is { } hcmProblem) return hcmProblem;
            }
        }
        return null;
    }

    public static string? NetworkFilter(Filter filter) => filter.Name.Length == 0 ? "a network filter's name must not be empty" : null;

    public static string? HttpFilter(HttpFilter filter) => filter.Name.Length == 0 ? "an HTTP filter's name must not be empty" : null;

    public static string? VirtualHost(VirtualHost host) =>
        host.Name.Length == 0 ? "a virtual host's name must not be empty"
        : host.Domains.Count == 0 ? $"virtual host \"{host.Name}\" needs at least one domain"
        : null;

    private static string? ConnectionManager(Hcm hcm)
    {
        if (hcm.StatPrefix.Length == 0) return "an HTTP connection manager's statPrefix must not be empty";
        if (hcm.RouteSpecifierCase == Hcm.RouteSpecifierOneofCase.None)
            return "an HTTP connection manager needs routes (routeConfig, rds or scopedRoutes)";
        foreach (var filter in hcm.HttpFilters)
        {
            if (HttpFilter(filter) is { } problem) return problem;
        }
        foreach (var host in hcm.RouteConfig?.VirtualHosts ?? [])
        {
            if (VirtualHost(host) is { } problem) return problem;
        }
        return null;
    }
}
