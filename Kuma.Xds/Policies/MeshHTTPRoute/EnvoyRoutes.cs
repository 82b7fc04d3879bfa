using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// Envoy routes for one planned route, as Kuma writes them. A path prefix other than <c>/</c> becomes two
/// routes, the exact path and the path followed by <c>/</c>, so that only whole segments match and a
/// prefix rewrite cannot leave a double slash. Filters apply in the rule's order.
/// </summary>
internal static class EnvoyRoutes
{
    public static IEnumerable<Route> Build(PlannedRoute planned, Func<ClusterRef, bool> routable)
    {
        var fromPrefix = planned.Match.Path?.Type == "PathPrefix";
        foreach (var match in Matches(planned.Match))
        {
            var route = new Route { Name = planned.Name, Match = match, Route_ = Action(planned.Backends) };
            foreach (var filter in planned.Filters) Apply(route, filter, fromPrefix, routable);
            yield return route;
        }
    }

    private static IEnumerable<RouteMatch> Matches(HttpRouteMatch match)
    {
        foreach (var envoyMatch in PathMatches(match.Path))
        {
            if (match.Method is { } method)
                envoyMatch.Headers.Add(new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { Exact = method } });
            // Kuma keeps only the first matcher per name (validation forbids repeats for query parameters).
            foreach (var query in (match.QueryParams ?? []).DistinctBy(q => q.Name))
            {
                envoyMatch.QueryParameters.Add(new QueryParameterMatcher
                {
                    Name = query.Name ?? "",
                    StringMatch = query.Type == "RegularExpression" ? Regex(query.Value) : new StringMatcher { Exact = query.Value ?? "" },
                });
            }
            foreach (var header in (match.Headers ?? []).DistinctBy(h => h.Name)) envoyMatch.Headers.Add(Header(header));
            yield return envoyMatch;
        }
    }

    private static IEnumerable<RouteMatch> PathMatches(HttpPathMatch? path)
    {
        switch (path?.Type)
        {
            case "Exact":
                yield return new RouteMatch { Path = path.Value ?? "" };
                break;
            case "PathPrefix" when path.Value == "/":
                yield return new RouteMatch { Prefix = "/" };
                break;
            case "PathPrefix":
                var trimmed = (path.Value ?? "").TrimEnd('/');
                yield return new RouteMatch { Path = trimmed };
                yield return new RouteMatch { Prefix = trimmed + "/" };
                break;
            case "RegularExpression":
                yield return new RouteMatch { SafeRegex = new RegexMatcher { Regex = path.Value ?? "" } };
                break;
            default:
                yield return new RouteMatch { Prefix = "/" };
                break;
        }
    }

    private static HeaderMatcher Header(HttpHeaderMatch header)
    {
        var matcher = new HeaderMatcher { Name = header.Name ?? "" };
        switch (header.Type ?? "Exact")
        {
            case "Present":
                matcher.PresentMatch = true;
                break;
            case "Absent":
                matcher.PresentMatch = false;
                break;
            case "RegularExpression":
                matcher.StringMatch = Regex(header.Value);
                break;
            // Envoy rejects an empty prefix; any value at all is what an empty prefix means.
            case "Prefix" when string.IsNullOrEmpty(header.Value):
                matcher.PresentMatch = true;
                break;
            case "Prefix":
                matcher.StringMatch = new StringMatcher { Prefix = header.Value };
                break;
            default:
                matcher.StringMatch = new StringMatcher { Exact = header.Value ?? "" };
                break;
        }
        return matcher;
    }

    private static StringMatcher Regex(string? pattern) => new() { SafeRegex = new RegexMatcher { Regex = pattern ?? "" } };

    /// <summary>One backend: its cluster; several: weighted clusters. The timeout is MeshTimeout's to set.</summary>
    private static RouteAction Action(IReadOnlyList<WeightedBackend> backends)
    {
        var action = new RouteAction { Timeout = Duration.FromTimeSpan(TimeSpan.Zero) };
        if (backends.Count == 1)
        {
            action.Cluster = backends[0].Cluster.Name;
            return action;
        }
        var weighted = new WeightedCluster();
        foreach (var backend in backends)
            weighted.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = backend.Cluster.Name, Weight = backend.Weight });
        action.WeightedClusters = weighted;
        return action;
    }

    private static void Apply(Route route, HttpRouteFilter filter, bool fromPrefix, Func<ClusterRef, bool> routable)
    {
        switch (filter.Type)
        {
            case MeshHttpRoutePolicy.RequestHeaderModifier when filter.RequestHeaderModifier is { } modifier:
                route.RequestHeadersToAdd.AddRange(HeadersToAdd(modifier));
                route.RequestHeadersToRemove.AddRange(modifier.Remove ?? []);
                break;
            case MeshHttpRoutePolicy.ResponseHeaderModifier when filter.ResponseHeaderModifier is { } modifier:
                route.ResponseHeadersToAdd.AddRange(HeadersToAdd(modifier));
                route.ResponseHeadersToRemove.AddRange(modifier.Remove ?? []);
                break;
            case MeshHttpRoutePolicy.RequestRedirect when filter.RequestRedirect is { } redirect:
                route.Redirect = Redirect(redirect, route.Match, fromPrefix);
                break;
            // Rewriting and mirroring act on a forwarded request; after a redirect there is none (Kuma
            // fails the whole config there; this leaves the redirect alone).
            case MeshHttpRoutePolicy.UrlRewrite when filter.UrlRewrite is { } rewrite && route.Route_ is { } action:
                if (rewrite.Hostname is { } host) action.HostRewriteLiteral = host;
                switch (PathRewrite(rewrite.Path, route.Match, fromPrefix))
                {
                    case (string prefix, null): action.PrefixRewrite = prefix; break;
                    case (null, { } regex): action.RegexRewrite = regex; break;
                }
                break;
            case MeshHttpRoutePolicy.RequestMirror when route.Route_ is { } action
                && OutboundRoutes.MirrorCluster(filter) is { } cluster && routable(cluster):
                var policy = new RouteAction.Types.RequestMirrorPolicy { Cluster = cluster.Name };
                if (filter.RequestMirror!.Percentage is { } percentage)
                    policy.RuntimeFraction = new RuntimeFractionalPercent { DefaultValue = Fraction(percentage) };
                action.RequestMirrorPolicies.Add(policy);
                break;
        }
    }

    private static IEnumerable<HeaderValueOption> HeadersToAdd(HttpHeaderModifier modifier) =>
        (modifier.Set ?? []).Select(h => Header(h, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd))
            .Concat((modifier.Add ?? []).Select(h => Header(h, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd)));

    private static HeaderValueOption Header(HttpHeaderValue header, HeaderValueOption.Types.HeaderAppendAction action) => new()
    {
        Header = new HeaderValue { Key = header.Name ?? "", Value = header.Value ?? "" },
        AppendAction = action,
    };

    private static RedirectAction Redirect(HttpRequestRedirect redirect, RouteMatch match, bool fromPrefix)
    {
        var action = new RedirectAction
        {
            ResponseCode = redirect.StatusCode switch
            {
                301 => RedirectAction.Types.RedirectResponseCode.MovedPermanently,
                303 => RedirectAction.Types.RedirectResponseCode.SeeOther,
                307 => RedirectAction.Types.RedirectResponseCode.TemporaryRedirect,
                308 => RedirectAction.Types.RedirectResponseCode.PermanentRedirect,
                _ => RedirectAction.Types.RedirectResponseCode.Found,
            },
        };
        if (redirect.Hostname is { } host) action.HostRedirect = host;
        if (redirect.Port is { } port) action.PortRedirect = (uint)port;
        if (redirect.Scheme is { } scheme) action.SchemeRedirect = scheme;
        switch (PathRewrite(redirect.Path, match, fromPrefix))
        {
            case (string prefix, null): action.PrefixRewrite = prefix; break;
            case (null, { } regex): action.RegexRewrite = regex; break;
        }
        return action;
    }

    /// <summary>
    /// A full-path replacement rewrites whatever the path was. A prefix replacement needs the match to have been
    /// a prefix: on its exact-path half the whole path is the prefix, on its <c>prefix/</c> half the prefix is swapped.
    /// </summary>
    private static (string? Prefix, RegexMatchAndSubstitute? Regex) PathRewrite(HttpPathRewrite? rewrite, RouteMatch match, bool fromPrefix)
    {
        switch (rewrite?.Type)
        {
            case "ReplaceFullPath" when rewrite.ReplaceFullPath is { } full:
                return (null, AnyPath(full));
            case "ReplacePrefixMatch" when fromPrefix && rewrite.ReplacePrefixMatch is { } replacement:
                if (match.Path is { Length: > 0 }) return (null, AnyPath(replacement));
                if (match.Prefix is { Length: > 0 }) return (replacement, null);
                return (null, null);
            default:
                return (null, null);
        }
    }

    private static RegexMatchAndSubstitute AnyPath(string substitution) =>
        new() { Pattern = new RegexMatcher { Regex = ".*" }, Substitution = substitution };

    /// <summary>
    /// Kuma's conversion of a percentage: whole numbers per hundred, two decimals per ten thousand, anything
    /// finer per million.
    /// </summary>
    internal static FractionalPercent Fraction(JsonNode percentage)
    {
        var value = percentage.GetValueKind() == JsonValueKind.String
            ? double.Parse(percentage.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : percentage.GetValue<double>();
        if (Math.Floor(value) == value) return new FractionalPercent { Numerator = (uint)value, Denominator = FractionalPercent.Types.DenominatorType.Hundred };
        var perTenThousand = 100 * value;
        if (Math.Floor(perTenThousand) == perTenThousand)
            return new FractionalPercent { Numerator = (uint)perTenThousand, Denominator = FractionalPercent.Types.DenominatorType.TenThousand };
        return new FractionalPercent { Numerator = (uint)Math.Round(10_000 * value, MidpointRounding.AwayFromZero), Denominator = FractionalPercent.Types.DenominatorType.Million };
    }
}
