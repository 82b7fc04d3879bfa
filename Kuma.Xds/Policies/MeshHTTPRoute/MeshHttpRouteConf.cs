namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// What the rules engine merges for one outbound: the rules of every applying <c>to</c> entry, merged by
/// their matches with the most specific policy's rules first (and, on gateways, grouped by hostname).
/// </summary>
public sealed class MeshHttpRouteConf
{
    public List<HttpRouteRule>? Rules { get; set; }
    public List<string>? Hostnames { get; set; }
}
