namespace Kuma.Gateway.Api;

public enum RouteKind
{
    Index,
    ResourceTypes,
    UserToken,
    DataplaneToken,
    /// <summary><c>/signing-keys/{user|dataplane}[/{kid}]</c>: the cluster's token signing keys (admin only).</summary>
    SigningKeys,
    TenantList,
    Tenant,
    /// <summary>A list of one type: in one mesh, across meshes, or of a tenant-wide type.</summary>
    List,
    /// <summary>One resource: a Mesh, a resource inside a mesh, or a tenant-wide resource.</summary>
    Item,
    /// <summary>
    /// A view of a dataplane: <c>_overview</c> (insight), <c>_config</c> (its Envoy config), <c>_rules</c> (merged
    /// policies); or of a policy: <c>_resources/dataplanes</c> (what it selects).
    /// </summary>
    Inspect,
    /// <summary><c>/meshes/{mesh}/dataplanes/_overview</c> (and Kuma's older <c>dataplanes+insights</c>): dataplanes with their insights.</summary>
    DataplaneOverviews,
    /// <summary><c>/mesh-insights[/{mesh}]</c>: per mesh, its dataplanes by status and its resources by type.</summary>
    MeshInsights,
    /// <summary><c>/meshes/{mesh}/service-insights[/{service}]</c>: per service, its dataplanes by status.</summary>
    ServiceInsights,
    /// <summary><c>/global-insight</c>: the tenant's meshes, dataplanes, services and policies summed up.</summary>
    GlobalInsight,
    /// <summary><c>/config</c>: the control plane's settings, readable as Kuma's control-plane metadata.</summary>
    Config,
    /// <summary><c>/who-am-i</c>: the caller's name and groups.</summary>
    WhoAmI,
    /// <summary><c>/policies</c>: the policy types, as Kuma's GUI lists them.</summary>
    Policies,
    /// <summary><c>[/tenants/{tenant}]/usage</c>: the tenant's usage for billing (UsageEndpoint).</summary>
    Usage,
}

/// <summary>
/// A parsed API path. The optional <c>/tenants/{tenant}</c> prefix lets the admin act in any tenant;
/// without it, a path acts in the caller's own tenant.
/// </summary>
public sealed record ApiRoute(RouteKind Kind, string? Tenant = null, string? Plural = null, string? Mesh = null, string? Name = null, string? View = null)
{
    /// <summary>Kuma's older path of dataplane overviews, still served.</summary>
    public const string LegacyOverviews = "dataplanes+insights";

    /// <summary>The view of a policy listing the dataplanes it selects.</summary>
    public const string DataplanesView = "_resources/dataplanes";

    /// <param name="path">The path as sent: each segment is percent-decoded once here, so <c>a%2Fb</c> is one segment.</param>
    public static ApiRoute? Parse(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        // Kestrel already refuses %00; this keeps a NUL from any other server away from the stores.
        if (segments.Any(s => s.Contains('\0')))
            throw ApiException.BadRequest("a path segment must not contain a NUL character (%00)");
        switch (segments)
        {
            case []: return new(RouteKind.Index);
            case ["_resources"]: return new(RouteKind.ResourceTypes);
            case ["config"]: return new(RouteKind.Config);
            case ["who-am-i"]: return new(RouteKind.WhoAmI);
            case ["policies"]: return new(RouteKind.Policies);
            case ["tokens", "user"]: return new(RouteKind.UserToken);
            case ["signing-keys", var kind]: return new(RouteKind.SigningKeys, Plural: kind);
            case ["signing-keys", var kind, var keyId]: return new(RouteKind.SigningKeys, Plural: kind, Name: keyId);
            case ["tenants"]: return new(RouteKind.TenantList);
            case ["tenants", var tenant]: return new(RouteKind.Tenant, Name: tenant);
            case ["tenants", var tenant, .. var rest]: return ParseResource(rest) is { } r ? r with { Tenant = tenant } : null;
            default: return ParseResource(segments);
        }
    }

    private static ApiRoute? ParseResource(string[] segments) => segments switch
    {
        ["tokens", "dataplane"] => new(RouteKind.DataplaneToken),
        ["global-insight"] => new(RouteKind.GlobalInsight),
        ["usage"] => new(RouteKind.Usage),
        ["mesh-insights"] => new(RouteKind.MeshInsights),
        ["mesh-insights", var mesh] => new(RouteKind.MeshInsights, Mesh: mesh),
        ["meshes", var mesh, "service-insights"] => new(RouteKind.ServiceInsights, Mesh: mesh),
        ["meshes", var mesh, "service-insights", var service] => new(RouteKind.ServiceInsights, Mesh: mesh, Name: service),
        ["meshes", var mesh, "dataplanes", "_overview"] => new(RouteKind.DataplaneOverviews, Plural: "dataplanes", Mesh: mesh),
        ["meshes", var mesh, LegacyOverviews] => new(RouteKind.DataplaneOverviews, Plural: "dataplanes", Mesh: mesh),
        ["meshes", var mesh, LegacyOverviews, var name] => new(RouteKind.Inspect, Plural: "dataplanes", Mesh: mesh, Name: name, View: "_overview"),
        ["meshes"] => new(RouteKind.List, Plural: "meshes"),
        ["meshes", var mesh] => new(RouteKind.Item, Plural: "meshes", Name: mesh),
        ["meshes", var mesh, var plural] => new(RouteKind.List, Plural: plural, Mesh: mesh),
        ["meshes", var mesh, var plural, var name] => new(RouteKind.Item, Plural: plural, Mesh: mesh, Name: name),
        ["meshes", var mesh, "dataplanes", var name, var view] when view is "_overview" or "_config" or "_rules" =>
            new(RouteKind.Inspect, Plural: "dataplanes", Mesh: mesh, Name: name, View: view),
        ["meshes", var mesh, var plural, var name, "_resources", "dataplanes"] =>
            new(RouteKind.Inspect, Plural: plural, Mesh: mesh, Name: name, View: DataplanesView),
        [var plural] => new(RouteKind.List, Plural: plural),
        [var plural, var name] => new(RouteKind.Item, Plural: plural, Name: name),
        _ => null,
    };
}
