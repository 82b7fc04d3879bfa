using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// What of MeshHTTPRoute a proxyless gRPC client gets: path and header matches and weighted backends. gRPC's xDS
/// client applies no filter of a route (it ignores header changes, rewrites and mirrors, and rejects redirects, so
/// redirecting routes are left out for it), and some matches can never hold for a gRPC call.
/// </summary>
internal static class MeshHttpRouteProxyless
{
    private static readonly Dictionary<string, (string Field, string Reason)> Filters = new(StringComparer.Ordinal)
    {
        [MeshHttpRoutePolicy.RequestHeaderModifier] = ("requestHeaderModifier", "gRPC's xDS client does not change the headers of a call"),
        [MeshHttpRoutePolicy.ResponseHeaderModifier] = ("responseHeaderModifier", "gRPC's xDS client does not change the headers of a response"),
        [MeshHttpRoutePolicy.RequestRedirect] = ("requestRedirect",
            "gRPC's xDS client rejects routes that redirect, so such a route is left out for proxyless clients"),
        [MeshHttpRoutePolicy.UrlRewrite] = ("urlRewrite", "gRPC's xDS client does not rewrite paths or hosts"),
        [MeshHttpRoutePolicy.RequestMirror] = ("requestMirror", "gRPC's xDS client does not mirror calls"),
    };

    public static IEnumerable<ProxylessGap> Gaps(OutboundTarget target, MeshHttpRouteConf conf)
    {
        var rules = conf.Rules ?? [];
        if (rules.Count == 0) return [];
        if (!EnvoyBuild.IsHttp(target.Protocol))
            return [new("rules", $"routes apply to http, http2 and grpc services; this one is {target.Protocol}")];
        var gaps = new List<ProxylessGap>();
        foreach (var rule in rules)
        {
            foreach (var match in rule.Matches ?? [])
            {
                if (match.QueryParams is { Count: > 0 })
                    gaps.Add(new("rules[].matches[].queryParams", "a gRPC call has no query string (gRFC A28 never takes such a route; grpc-js ignores the condition)"));
                if (match.Method is not null)
                    gaps.Add(new("rules[].matches[].method", "gRPC's xDS client matches call metadata, which has no :method, so the route is never taken"));
                if ((match.Headers ?? []).Any(h => h.Name?.EndsWith("-bin", StringComparison.OrdinalIgnoreCase) == true))
                    gaps.Add(new("rules[].matches[].headers[]", "gRPC's xDS client never matches binary (-bin) headers, so the route is never taken"));
            }
            foreach (var filter in rule.Default?.Filters ?? [])
            {
                if (filter.Type is { } type && Filters.TryGetValue(type, out var known))
                    gaps.Add(new($"rules[].default.filters[].{known.Field}", known.Reason));
            }
        }
        return gaps.Distinct();
    }
}
