using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Kuma.Policies;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// What endpoints that depend on the caller are built from: the cluster, the confs of the policy types that shape
/// endpoints (by reference: look-alike proxies share merged confs, so equal confs are mostly the same object), and
/// the part of the caller those confs read (<see cref="PolicyPlugin.EndpointsCaller"/>). Callers with equal keys
/// share one resource per generation.
/// </summary>
internal sealed class CallerEndpointsKey : IEquatable<CallerEndpointsKey>
{
    public CallerEndpointsKey(ClusterRef cluster, string protocol, ImmutableArray<JsonObject?> confs, Tags caller)
    {
        Cluster = cluster;
        Protocol = protocol;
        Confs = confs;
        Caller = caller;
        var hash = new HashCode();
        hash.Add(cluster);
        hash.Add(caller);
        foreach (var conf in confs) hash.Add(conf is null ? 0 : RuntimeHelpers.GetHashCode(conf));
        _hash = hash.ToHashCode();
    }

    private readonly int _hash;

    public ClusterRef Cluster { get; }
    public string Protocol { get; }
    /// <summary>Per policy type, in registry order: the merged conf when that type shapes these endpoints, else null.</summary>
    public ImmutableArray<JsonObject?> Confs { get; }
    public Tags Caller { get; }

    public bool Equals(CallerEndpointsKey? other) =>
        other is not null && _hash == other._hash && Cluster.Equals(other.Cluster) && Caller.Equals(other.Caller)
        && Confs.Length == other.Confs.Length && Confs.Zip(other.Confs).All(p => ReferenceEquals(p.First, p.Second));

    public override bool Equals(object? obj) => Equals(obj as CallerEndpointsKey);
    public override int GetHashCode() => _hash;

    /// <summary>
    /// The key for a caller's endpoints of <paramref name="cluster"/> under its <paramref name="rules"/> for the
    /// cluster's service, or null when no policy makes them differ from what every caller gets.
    /// </summary>
    public static CallerEndpointsKey? For(ClusterRef cluster, string protocol, OutboundRuleSet rules, IReadOnlyDictionary<string, string> caller)
    {
        JsonObject?[]? confs = null;
        Dictionary<string, string>? read = null;
        var target = new OutboundTarget(cluster.Service, protocol) { Subset = cluster.Subset };
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is not { ShapesEndpoints: true } plugin || rules.Confs[t] is not { } conf) continue;
            if (plugin.EndpointsCaller(target, conf, caller) is not { } facts) continue;
            (confs ??= new JsonObject?[PolicyTypes.All.Count])[t] = conf;
            foreach (var (key, value) in facts.Values) (read ??= new(StringComparer.Ordinal))[key] = value;
        }
        return confs is null ? null : new CallerEndpointsKey(cluster, protocol, [.. confs], new Tags(read));
    }

    /// <summary>The caller's tags as endpoint-shaping plugins see them: per key, the first value over its inbounds in ordinal order.</summary>
    public static IReadOnlyDictionary<string, string> CallerTags(DataplaneSpec? spec)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var inbound in spec?.Networking?.Inbound ?? [])
        {
            foreach (var (key, value) in inbound.Tags ?? [])
            {
                if (!tags.TryGetValue(key, out var known) || string.CompareOrdinal(value, known) < 0) tags[key] = value;
            }
        }
        return tags;
    }

    /// <summary>The service's endpoints in the cluster, then every shaping plugin in registry order.</summary>
    public XdsResource Build(IReadOnlyList<ServiceEndpoint> serviceEndpoints)
    {
        var endpoints = ServiceResources.Endpoints(Cluster.Name, [.. serviceEndpoints.Where(e => Cluster.Selects(e.Tags))]);
        var target = new OutboundTarget(Cluster.Service, Protocol) { Subset = Cluster.Subset };
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (Confs[t] is { } conf) PolicyTypes.All[t].Plugin!.OutboundEndpoints(endpoints, target, conf, Caller);
        }
        return XdsResource.Encode(Cluster.Name, endpoints);
    }
}
