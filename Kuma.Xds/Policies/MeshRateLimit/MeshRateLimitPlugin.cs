using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>
/// MeshRateLimit as Kuma applies it to a sidecar's inbounds, from the merge of the catch-all rules (and
/// <c>from</c> entries, which count as catch-all rules): an HTTP limit becomes a local rate limit config on
/// every route of the inbound's route table plus the filter that reads it, before the router; a TCP limit
/// becomes a connection rate limit filter at the head of each filter chain, whatever the protocol.
/// </summary>
/// <remarks>
/// Rules matching callers by SPIFFE ID are not applied: Kuma copies each route once per such rule with a
/// filter-state match on the caller's URI SAN, which a <c>set_filter_state</c> network filter records on the TLS
/// handshake (<c>on_downstream_tls_handshake</c>). Neither that field nor <c>RouteMatch.filter_state</c> is in the
/// Envoy API this control plane compiles (the protos shipped with @grpc/grpc-js-xds 1.14.1), and no other route
/// match reads the peer's identity. With mesh mTLS off the outcome is Kuma's anyway: there is no peer identity, the
/// copies never match, and only catch-all rules limit. Rules matching by SNI only act on zone proxies in Kuma,
/// which this control plane does not run.
/// </remarks>
public sealed class MeshRateLimitPlugin : PolicyPlugin
{
    public override void InboundListener(Listener listener, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(rules);
        if (Read(rules.Conf)?.Local is not { } local) return;
        var routeLimit = LocalRateLimits.ForRoute(local.Http);
        var tcpFilter = LocalRateLimits.TcpFilter(local.Tcp);
        foreach (var chain in listener.FilterChains)
        {
            if (routeLimit is not null)
            {
                EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => LimitRoutes(hcm, routeLimit));
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
        if (hcm.RouteConfig is null) return;
        foreach (var host in hcm.RouteConfig.VirtualHosts)
        {
            foreach (var route in host.Routes)
            {
                // A limit some earlier step put on the route stays, as in Kuma.
                if (!route.TypedPerFilterConfig.ContainsKey(LocalRateLimits.HttpFilterName))
                    route.TypedPerFilterConfig[LocalRateLimits.HttpFilterName] = routeLimit.Clone();
            }
        }
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

    private static MeshRateLimitConf? Read(JsonObject? conf) => conf?.Deserialize<MeshRateLimitConf>(SpecBinder.Options);
}
