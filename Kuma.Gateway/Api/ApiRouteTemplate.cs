using Kuma.Policies;

namespace Kuma.Gateway.Api;

/// <summary>
/// A route as a metric label (Kuma's <c>handler</c>): the template, never the names a caller put in the path, so
/// the label's values are a bounded set. Known resource types keep their plural, as Kuma's routes do.
/// </summary>
public static class ApiRouteTemplate
{
    public const string Unknown = "unknown";

    public static string Of(ApiRoute? route)
    {
        if (route is null) return Unknown;
        var prefix = route.Tenant is null ? "" : "/tenants/{tenant}";
        return prefix + route.Kind switch
        {
            RouteKind.Index => "/",
            RouteKind.ResourceTypes => "/_resources",
            RouteKind.Config => "/config",
            RouteKind.WhoAmI => "/who-am-i",
            RouteKind.Policies => "/policies",
            RouteKind.UserToken => "/tokens/user",
            RouteKind.DataplaneToken => "/tokens/dataplane",
            RouteKind.SigningKeys => route.Name is null ? "/signing-keys/{kind}" : "/signing-keys/{kind}/{kid}",
            RouteKind.TenantList => "/tenants",
            RouteKind.Tenant => "/tenants/{name}",
            RouteKind.GlobalInsight => "/global-insight",
            RouteKind.Usage => "/usage",
            RouteKind.MeshInsights => route.Mesh is null ? "/mesh-insights" : "/mesh-insights/{mesh}",
            RouteKind.ServiceInsights => route.Name is null ? "/meshes/{mesh}/service-insights" : "/meshes/{mesh}/service-insights/{name}",
            RouteKind.DataplaneOverviews => "/meshes/{mesh}/dataplanes/_overview",
            RouteKind.List when route.Plural == "meshes" => "/meshes",
            RouteKind.List => route.Mesh is null ? $"/{Type(route)}" : $"/meshes/{{mesh}}/{Type(route)}",
            RouteKind.Item when route.Plural == "meshes" => "/meshes/{name}",
            RouteKind.Item => route.Mesh is null ? $"/{Type(route)}/{{name}}" : $"/meshes/{{mesh}}/{Type(route)}/{{name}}",
            RouteKind.Inspect => $"/meshes/{{mesh}}/{Type(route)}/{{name}}/{route.View}",
            _ => "/" + Unknown,
        };
    }

    private static string Type(ApiRoute route) =>
        route.Plural is { } plural && PolicyTypes.Catalog.FindByPlural(plural) is not null ? plural : "{type}";
}
