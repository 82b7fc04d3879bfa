using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// Turns a sidecar-style outbound listener, as plugins left it, into what gRPC's xDS client reads: an API
/// listener whose connection manager carries its routes inline. Inline rather than by RDS name because
/// grpc-js applies a changed listener (its HTTP filters, such as fault injection) only when the route
/// configuration it names changes too. gRPC has no per-route <c>timeout</c>; it bounds a call with
/// <c>max_stream_duration</c>, so a request timeout becomes that. Routes that do not forward (redirects) are left
/// out: gRPC's client accepts none. Header matches use HeaderMatcher's older fields (<c>exact_match</c>,
/// <c>prefix_match</c>, ...): gRPC C-core up to at least 1.51 (Debian's python3-grpcio) knows no <c>string_match</c> and
/// rejects the whole listener over one ("Invalid route header matcher specified."); grpc-js reads both.
/// </summary>
internal static class ProxylessConversion
{
    public static Listener Convert(Listener template, string service)
    {
        var hcm = template.FilterChains.SelectMany(c => c.Filters)
            .First(f => f.Name == EnvoyBuild.HttpConnectionManagerFilter).TypedConfig.Unpack<HttpConnectionManager>();
        var route = hcm.RouteConfig ?? new RouteConfiguration();
        route.Name = service;
        route.RequestHeadersToRemove.Clear();
        route.RequestHeadersToAdd.Clear();
        route.ValidateClusters = null;
        foreach (var host in route.VirtualHosts)
        {
            host.Name = service;
            // gRPC's xDS client rejects the whole listener over one route that does not forward (a redirect).
            foreach (var redirect in host.Routes.Where(r => r.Route_ is null).ToList()) host.Routes.Remove(redirect);
            foreach (var r in host.Routes)
            {
                foreach (var header in r.Match?.Headers ?? []) UseOlderMatchField(header);
                if (r.Route_ is not { } action) continue;
                if (action.Timeout is { } timeout && timeout.ToTimeSpan() > TimeSpan.Zero && action.MaxStreamDuration is null)
                    action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = timeout };
                action.Timeout = null;
                action.IdleTimeout = null;
            }
        }
        var apiHcm = new HttpConnectionManager
        {
            StatPrefix = hcm.StatPrefix,
            RouteConfig = route,
            HttpFilters = { hcm.HttpFilters },
        };
        if (hcm.CommonHttpProtocolOptions?.MaxStreamDuration is { } max && max.ToTimeSpan() > TimeSpan.Zero)
            apiHcm.CommonHttpProtocolOptions = new Envoy.Config.Core.V3.HttpProtocolOptions { MaxStreamDuration = max };
        var listener = new Listener { Name = service, ApiListener = new ApiListener { ApiListener_ = Any.Pack(apiHcm) } };
        return listener;
    }

#pragma warning disable CS0612 // the older fields are the point: gRPC C-core reads only them.
    private static void UseOlderMatchField(HeaderMatcher header)
    {
        // Setting one field of the oneof clears string_match. Case-insensitive matching has no older field; Kuma's
        // header matches never ask for it.
        if (header.StringMatch is not { IgnoreCase: false } match) return;
        switch (match.MatchPatternCase)
        {
            case Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Exact:
                header.ExactMatch = match.Exact;
                break;
            case Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Prefix:
                header.PrefixMatch = match.Prefix;
                break;
            case Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Suffix:
                header.SuffixMatch = match.Suffix;
                break;
            case Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Contains:
                header.ContainsMatch = match.Contains;
                break;
            case Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.SafeRegex:
                header.SafeRegexMatch = match.SafeRegex;
                break;
        }
    }
#pragma warning restore CS0612

    /// <summary>
    /// gRPC's xDS client rejects a cluster whose <c>lb_policy</c> is neither ROUND_ROBIN nor RING_HASH, or whose ring
    /// hashes hosts with anything but xxHash: such a cluster falls back to round robin, or to xxHash, instead of
    /// breaking the client (the overview says what was not applied).
    /// </summary>
    public static void ConvertCluster(Cluster cluster)
    {
        switch (cluster.LbPolicy)
        {
            case Cluster.Types.LbPolicy.RoundRobin:
                break;
            case Cluster.Types.LbPolicy.RingHash:
                if (cluster.RingHashLbConfig is { } ring) ring.HashFunction = Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash;
                break;
            default:
                cluster.LbPolicy = Cluster.Types.LbPolicy.RoundRobin;
                cluster.LeastRequestLbConfig = null;
                cluster.MaglevLbConfig = null;
                break;
        }
    }
}
