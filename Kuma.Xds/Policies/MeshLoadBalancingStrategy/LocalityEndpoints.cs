using System.Globalization;
using System.Text.Json;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshLoadBalancingStrategy;

/// <summary>
/// Locality-aware endpoints as Kuma's plugin makes them for a zone proxy, with the caller's <c>kuma.io/zone</c>
/// tag as the local zone: endpoints of other zones get a lower priority (1) while awareness is on; with
/// <c>localZone</c> or <c>crossZone</c> set, local endpoints are grouped by the first affinity tag whose value they
/// share with the caller (a sub-zone <c>key=value</c> weighted by the tag's weight, the rest weight 1), endpoints of
/// other zones take the priority of the first failover rule that admits their zone (rule index + 1) or are left
/// out, and the overprovisioning factor follows the failover threshold.
/// Two departures, both for gRPC's xDS client, which shares these endpoints: priorities are renumbered without
/// gaps (gRPC refuses a gap; Envoy treats an empty priority the same as a missing one), and a locality Kuma leaves
/// without weight gets the number of its endpoints (gRPC ignores a locality without weight), as plain endpoints do.
/// </summary>
internal static class LocalityEndpoints
{
    private const uint DefaultOverprovisioningFactor = 200;
    private const string LbMetadata = "envoy.lb";

    /// <summary>
    /// Whether the conf changes endpoints at all: awareness is on unless disabled, and the affinity and failover
    /// groups apply even when it is disabled (Kuma applies them whenever they are set).
    /// </summary>
    public static bool Shapes(MeshLoadBalancingStrategyConf conf) =>
        conf.LocalityAwareness is not { Disabled: true } || HasGroups(conf);

    private static bool HasGroups(MeshLoadBalancingStrategyConf conf) =>
        conf.LocalityAwareness is { } la && (la.LocalZone is not null || la.CrossZone is not null);

    /// <summary>What of the caller the endpoints depend on: its zone, and its values of the affinity tags.</summary>
    public static Tags CallerFacts(MeshLoadBalancingStrategyConf conf, IReadOnlyDictionary<string, string> caller)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal) { [ServiceEndpoint.ZoneTag] = caller.GetValueOrDefault(ServiceEndpoint.ZoneTag) ?? "" };
        foreach (var tag in AffinityTags(conf))
        {
            if (caller.TryGetValue(tag.Key, out var value)) facts[tag.Key] = value;
        }
        return new Tags(facts);
    }

    public static void Apply(ClusterLoadAssignment endpoints, MeshLoadBalancingStrategyConf conf, Tags caller)
    {
        var localZone = caller.Values.GetValueOrDefault(ServiceEndpoint.ZoneTag) ?? "";
        var aware = conf.LocalityAwareness is not { Disabled: true };
        foreach (var locality in endpoints.Endpoints)
        {
            if (locality.Locality is { } l && l.Zone != localZone) locality.Priority = aware ? 1u : 0u;
        }
        if (HasGroups(conf))
        {
            Regroup(endpoints, conf, caller, localZone);
            (endpoints.Policy ??= new ClusterLoadAssignment.Types.Policy()).OverprovisioningFactor = OverprovisioningFactor(conf);
        }
        CompactPriorities(endpoints);
    }

    private sealed record LocalityKey(string Zone, string SubZone, uint Priority);

    private sealed record CrossZoneGroup(string Type, HashSet<string> Zones, uint Priority)
    {
        public bool Admits(string zone) => Type switch
        {
            "Any" => true,
            "AnyExcept" => !Zones.Contains(zone),
            "Only" => Zones.Contains(zone),
            _ => false,
        };
    }

    private static void Regroup(ClusterLoadAssignment endpoints, MeshLoadBalancingStrategyConf conf, Tags caller, string localZone)
    {
        var affinity = AffinityTags(conf);
        // Without weights, 90% to the first tag, 9% to the next, and so on: 9 * 10^(n - i - 1).
        var localGroups = affinity
            .Select((tag, i) => (tag.Key, Weight: tag.Weight ?? (uint)(9 * Math.Pow(10, affinity.Count - i - 1))))
            .Where(g => caller.Values.ContainsKey(g.Key))
            .Select(g => (g.Key, Value: caller.Values[g.Key], g.Weight))
            .ToList();
        // Priorities follow rule positions, whether or not earlier rules apply to this caller's zone.
        var crossGroups = (conf.LocalityAwareness?.CrossZone?.Failover ?? [])
            .Select((rule, i) => (rule, Priority: (uint)(i + 1)))
            .Where(r => r.rule.From is null || r.rule.From.Zones.Contains(localZone))
            .Select(r => new CrossZoneGroup(r.rule.To.Type, [.. r.rule.To.Zones ?? []], r.Priority))
            .ToList();

        var weights = new Dictionary<LocalityKey, uint?>();
        var members = new Dictionary<LocalityKey, List<LbEndpoint>>();
        foreach (var endpoint in endpoints.Endpoints.SelectMany(l => l.LbEndpoints))
        {
            var tags = endpoint.Metadata?.FilterMetadata.GetValueOrDefault(LbMetadata)?.Fields;
            string? Tag(string key) => tags is not null && tags.TryGetValue(key, out var v) ? v.StringValue : null;
            var zone = Tag(ServiceEndpoint.ZoneTag) ?? "";
            LocalityKey key;
            uint? weight;
            if (zone == localZone)
            {
                (key, weight) = (new LocalityKey(localZone, "", 0), 1);
                foreach (var group in localGroups)
                {
                    if (Tag(group.Key) != group.Value) continue;
                    (key, weight) = (new LocalityKey(localZone, $"{group.Key}={group.Value}", 0), group.Weight);
                    break;
                }
            }
            else if (crossGroups.FirstOrDefault(g => g.Admits(zone)) is { } admitted)
            {
                (key, weight) = (new LocalityKey(zone, "", admitted.Priority), null);
            }
            else
            {
                continue;
            }
            weights[key] = weight;
            (members.TryGetValue(key, out var list) ? list : members[key] = []).Add(endpoint);
        }

        endpoints.Endpoints.Clear();
        foreach (var (key, list) in members.OrderBy(m => m.Key.Zone + m.Key.SubZone, StringComparer.Ordinal).ThenBy(m => m.Key.Priority))
        {
            var locality = new LocalityLbEndpoints
            {
                Locality = new Locality { Zone = key.Zone, SubZone = key.SubZone },
                Priority = key.Priority,
                LoadBalancingWeight = weights[key] ?? (uint)list.Count,
            };
            locality.LbEndpoints.AddRange(list.OrderBy(e => e.Endpoint.Address.SocketAddress.Address, StringComparer.Ordinal)
                .ThenBy(e => e.Endpoint.Address.SocketAddress.PortValue));
            endpoints.Endpoints.Add(locality);
        }
    }

    /// <summary>100 / threshold, truncated, in hundredths (Kuma's arithmetic); 200 without a threshold.</summary>
    private static uint OverprovisioningFactor(MeshLoadBalancingStrategyConf conf)
    {
        if (conf.LocalityAwareness?.CrossZone?.FailoverThreshold?.Percentage is not { } node) return DefaultOverprovisioningFactor;
        var threshold = node.GetValueKind() == JsonValueKind.String
            ? double.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : node.GetValue<double>();
        return threshold == 0 ? DefaultOverprovisioningFactor : (uint)(100 / threshold) * 100;
    }

    private static void CompactPriorities(ClusterLoadAssignment endpoints)
    {
        var order = endpoints.Endpoints.Select(l => l.Priority).Distinct().Order().ToList();
        foreach (var locality in endpoints.Endpoints) locality.Priority = (uint)order.IndexOf(locality.Priority);
    }

    private static List<AffinityTag> AffinityTags(MeshLoadBalancingStrategyConf conf) =>
        conf.LocalityAwareness?.LocalZone?.AffinityTags ?? [];
}
