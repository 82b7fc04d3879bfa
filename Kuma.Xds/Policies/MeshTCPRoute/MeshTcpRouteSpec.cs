namespace Kuma.Policies.MeshTcpRoute;

/// <summary>MeshTCPRoute's spec: its <c>to</c> entries carry at most one rule instead of a <c>default</c> block.</summary>
public sealed class MeshTcpRouteSpec
{
    public TargetRef? TargetRef { get; set; }
    public List<MeshTcpRouteTo>? To { get; set; }
}

public sealed class MeshTcpRouteTo
{
    public TargetRef? TargetRef { get; set; }

    /// <summary>
    /// TCP connections carry nothing to match on, so Kuma's schema allows one rule; a <c>to</c> entry without any
    /// sends the traffic to its own targetRef.
    /// </summary>
    public List<TcpRouteRule>? Rules { get; set; }
}

public sealed class TcpRouteRule
{
    public TcpRouteConf? Default { get; set; }
}

public sealed class TcpRouteConf
{
    public List<BackendRef>? BackendRefs { get; set; }
}

/// <summary>
/// What the rules engine merges for one outbound: the <c>rules</c> of the applying <c>to</c> entries, the most
/// specific entry's list replacing the others' (plain merge, as Kuma merges its one rule per entry).
/// </summary>
public sealed class MeshTcpRouteConf
{
    public List<TcpRouteRule>? Rules { get; set; }
}
