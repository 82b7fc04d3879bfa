using System.Collections.Immutable;
using System.Text.Json.Nodes;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.Rules;

/// <summary>
/// One rule of a MeshHTTPRoute for one of its destinations: the route's <c>to</c> targetRef and the name of the
/// Envoy routes built from the rule (the hash of its matches), which is how a policy aimed at the route finds them.
/// </summary>
public sealed record RouteRule(TargetRef Destination, string RouteName)
{
    /// <summary>
    /// Kuma's tag for a route rule in destination subsets: a policy aimed at a route configures the subset
    /// "this destination, and this rule's routes".
    /// </summary>
    public const string MatchesHashTag = "__rule-matches-hash__";

    /// <summary>
    /// Whether the rule's routes sit on the outbound to <paramref name="service"/>. A whole-mesh destination (only
    /// gateway routes have one) names no service, so it reaches every outbound; others reach the one they name.
    /// </summary>
    public bool Reaches(string service) => Destination.Kind is Mesh or MeshSubset || Destination.Name == service;

    /// <summary>The destination subset Kuma gives a policy entry aimed at this rule (see <see cref="MatchesHashTag"/>).</summary>
    public TargetRef AsSubset()
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [MatchesHashTag] = RouteName };
        return Destination.Kind is Mesh or MeshSubset
            ? new TargetRef { Kind = MeshSubset, Tags = tags }
            : new TargetRef { Kind = MeshServiceSubset, Name = Destination.Name, Tags = tags };
    }
}

/// <summary>A MeshHTTPRoute as policies whose top-level targetRef names it see it: whom it selects, and its rules.</summary>
public sealed record RouteTarget(TargetRef? TargetRef, ImmutableArray<RouteRule> Rules);

/// <summary>
/// The MeshHTTPRoutes of a mesh by name, for resolving top-level targetRefs of kind MeshHTTPRoute. A name that
/// is not here resolves to nothing: the policy then selects no proxy (Kuma accepts such a policy and skips it).
/// </summary>
public sealed class RouteTargets
{
    public static readonly RouteTargets None = new([]);

    private readonly ImmutableDictionary<string, RouteTarget> _byName;

    /// <param name="routes">When two routes share a name, the first one counts.</param>
    public RouteTargets(IEnumerable<(string Name, RouteTarget Route)> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var byName = ImmutableDictionary.CreateBuilder<string, RouteTarget>(StringComparer.Ordinal);
        foreach (var (name, route) in routes) byName.TryAdd(name, route);
        _byName = byName.ToImmutable();
    }

    public RouteTarget? Find(string? name) => name is not null && _byName.TryGetValue(name, out var route) ? route : null;
}

/// <summary>The merged conf of one policy type for the Envoy routes named <paramref name="RouteName"/> on one outbound.</summary>
public sealed record RouteConf(string RouteName, JsonObject Conf);
