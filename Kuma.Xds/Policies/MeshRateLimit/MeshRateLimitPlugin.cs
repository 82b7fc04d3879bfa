using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>
/// MeshRateLimit as Kuma applies it to a sidecar's inbounds, from the merge of the catch-all rules (and
/// <c>from</c> entries, which count as catch-all rules): an HTTP limit becomes a local rate limit config on
/// every route of the inbound's route table plus the filter that reads it, before the router; a TCP limit
/// becomes a connection rate limit filter at the head of each filter chain, whatever the protocol.
/// </summary>
/// <remarks>
/// Rules matching callers by SPIFFE ID limit copies of the routes that match the caller's identity (see
/// <see cref="CallerLimits"/> for which limit each copy takes, <see cref="CallerRoutes"/> for how the caller is told
/// apart). Rules matching by SNI only act on zone proxies in Kuma, which this control plane does not run.
/// </remarks>
public sealed class MeshRateLimitPlugin : PolicyPlugin
{
    public override void InboundListener(Listener listener, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(rules);
        var catchAll = CallerLimits.Read(rules.Conf);
        var callerLimits = CallerLimits.For(rules, catchAll);
        var local = catchAll?.Local;
        var routeLimit = LocalRateLimits.ForRoute(local?.Http);
        var tcpFilter = LocalRateLimits.TcpFilter(local?.Tcp);
        foreach (var chain in listener.FilterChains)
        {
            if (routeLimit is not null || callerLimits.Any(l => l.Limit is not null))
            {
                EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm =>
                {
                    if (routeLimit is not null) LimitRoutes(hcm, routeLimit);
                    CallerRoutes.Add(hcm, callerLimits);
                    AddHttpFilter(hcm);
                });
            }
            if (tcpFilter is not null) Upsert(chain, tcpFilter);
        }
    }

    /// <summary>Kuma rate-limits through <c>to</c> entries on gateways only; a proxyless client is none.</summary>
    public override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, JsonObject conf) =>
        [new("default", "MeshRateLimit's to entries act on gateways only")];

    /// <summary>Limits belong to the destination; a caller cannot enforce them for it, and gRPC has no local rate limit filter.</summary>
    public override IEnumerable<ProxylessGap> ProxylessDestinationGaps(OutboundTarget target, JsonObject conf) =>
        [new("default.local", "a proxyless destination has no proxy to count its requests and connections, and gRPC's xDS client has no local rate limit filter")];

    private static void LimitRoutes(HttpConnectionManager hcm, Any routeLimit)
    {
        foreach (var route in hcm.RouteConfig?.VirtualHosts.SelectMany(h => h.Routes) ?? [])
        {
            // A limit some earlier step put on the route stays, as in Kuma.
            if (!route.TypedPerFilterConfig.ContainsKey(LocalRateLimits.HttpFilterName))
                route.TypedPerFilterConfig[LocalRateLimits.HttpFilterName] = routeLimit.Clone();
        }
    }

    /// <summary>The filter reading the routes' limits, replacing one of the same name or else just before the router.</summary>
    private static void AddHttpFilter(HttpConnectionManager hcm)
    {
        var filter = LocalRateLimits.HttpFilter();
        var existing = IndexOf(hcm.HttpFilters, f => f.Name == filter.Name);
        if (existing >= 0)
        {
            hcm.HttpFilters[existing] = filter;
            return;
        }
        var router = IndexOf(hcm.HttpFilters, f => f.Name == EnvoyBuild.RouterFilter);
        hcm.HttpFilters.Insert(router < 0 ? hcm.HttpFilters.Count : router, filter);
    }

    /// <summary>Replaces a filter of the same name, or puts the filter first so it counts connections before anything else runs.</summary>
    private static void Upsert(FilterChain chain, Filter filter)
    {
        var existing = IndexOf(chain.Filters, f => f.Name == filter.Name);
        if (existing >= 0) chain.Filters[existing] = filter.Clone();
        else chain.Filters.Insert(0, filter.Clone());
    }

    private static int IndexOf<T>(IList<T> items, Func<T, bool> predicate)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (predicate(items[i])) return i;
        }
        return -1;
    }
}
