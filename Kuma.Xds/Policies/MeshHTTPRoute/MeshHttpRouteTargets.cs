using System.Text.Json;
using Kuma.Policies.Rules;
using Kuma.Validation;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// MeshHTTPRoutes as targets of other policies: each rule is known by the name its Envoy routes get, computed
/// from the rule's matches exactly as <see cref="OutboundRoutes"/> names them, so that a policy aimed at a route
/// finds the routes its rules became.
/// </summary>
public static class MeshHttpRouteTargets
{
    public static RouteTargets From(IEnumerable<PolicyItem> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        return new RouteTargets(routes.Select(route => (route.Name, new RouteTarget(route.TargetRef, [.. Rules(route)]))));
    }

    private static IEnumerable<RouteRule> Rules(PolicyItem route)
    {
        foreach (var to in route.To)
        {
            var conf = to.Conf.Deserialize<MeshHttpRouteConf>(SpecBinder.Options);
            foreach (var rule in conf?.Rules ?? []) yield return new RouteRule(to.TargetRef, RouteNames.Of(rule.Matches));
        }
    }
}
