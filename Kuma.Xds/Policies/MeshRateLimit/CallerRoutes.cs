using System.Text;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.Matcher.V3;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>
/// Puts <see cref="CallerLimit"/>s on an inbound's routes: before each route, one copy per caller limit that also
/// matches the caller's SPIFFE ID and carries that limit; the route itself stays last for everyone else.
/// </summary>
/// <remarks>
/// Kuma matches these copies on filter state recorded from the TLS handshake; the Envoy API compiled here has no
/// such route match, so the copies match the caller's URI in <c>x-forwarded-client-cert</c> instead. The inbound
/// connection manager sets that header itself (SANITIZE_SET with the URI, see SidecarResources): on an mTLS
/// connection Envoy replaces whatever the client sent with the verified peer certificate's details, and on a
/// connection without a client certificate it removes the header, all before routing. A caller thus cannot
/// claim another identity, and with mesh mTLS off no copy ever matches, which is Kuma's outcome too.
/// </remarks>
internal static class CallerRoutes
{
    public const string ClientCertHeader = "x-forwarded-client-cert";

    public static void Add(HttpConnectionManager hcm, IReadOnlyList<CallerLimit> limits)
    {
        if (hcm.RouteConfig is null) return;
        foreach (var host in hcm.RouteConfig.VirtualHosts)
        {
            var routes = host.Routes.ToList();
            host.Routes.Clear();
            foreach (var route in routes)
            {
                if (route.Match is not null && Forwards(route.Route_))
                {
                    foreach (var limit in limits) host.Routes.Add(Copy(route, limit));
                }
                host.Routes.Add(route);
            }
        }
    }

    /// <summary>
    /// Envoy's XFCC holds <c>key=value</c> pairs split by <c>;</c> (elements by <c>,</c>), one <c>URI=</c> per URI SAN;
    /// the pattern must match it whole. A prefix may run on into whatever follows (a prefix of the URI element is
    /// a prefix of the rest); an exact ID must end where its element does. Envoy refuses regexes whose RE2 program
    /// outgrows its limit, so the patterns stay this short.
    /// </summary>
    public static string UriPattern(string matchType, string id) => matchType == "Prefix"
        ? $"(?:.*[;,])?URI={Escape(id)}.*"
        : $"(?:.*[;,])?URI={Escape(id)}(?:[;,].*)?";

    private static Route Copy(Route route, CallerLimit limit)
    {
        var copy = route.Clone();
        copy.Match.Headers.Add(new HeaderMatcher
        {
            Name = ClientCertHeader,
            StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = UriPattern(limit.MatchType, limit.Id) } },
        });
        if (limit.Limit is null) copy.TypedPerFilterConfig.Remove(LocalRateLimits.HttpFilterName);
        else copy.TypedPerFilterConfig[LocalRateLimits.HttpFilterName] = limit.Limit.Clone();
        return copy;
    }

    /// <summary>Only routes that send requests on to a cluster take a limit, as in Kuma.</summary>
    private static bool Forwards(RouteAction? action) => action?.ClusterSpecifierCase switch
    {
        RouteAction.ClusterSpecifierOneofCase.Cluster => action.Cluster.Length > 0,
        RouteAction.ClusterSpecifierOneofCase.ClusterHeader => action.ClusterHeader.Length > 0,
        RouteAction.ClusterSpecifierOneofCase.WeightedClusters => action.WeightedClusters.Clusters.Count > 0
            && action.WeightedClusters.Clusters.All(c => c.Name.Length > 0 || c.ClusterHeader.Length > 0),
        _ => false,
    };

    /// <summary>RE2 syntax: ASCII punctuation is escaped (RE2 refuses a backslash before anything beyond ASCII).</summary>
    private static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (char.IsAscii(c) && !char.IsAsciiLetterOrDigit(c) && c is not ('/' or ':' or '-' or '_')) escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
