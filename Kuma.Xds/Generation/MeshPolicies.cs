using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.Rules;
using Kuma.Resources;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// The policies of one mesh generation, parsed once, and their merged rules per group of proxies that
/// look the same to every selector (same inbound tags and ports, labels, proxy type, and the name only
/// when some policy selects dataplanes by name): most proxies of a service share one evaluation.
/// </summary>
public sealed class MeshPolicies
{
    private readonly ConcurrentDictionary<string, ProxyRules> _byProfile;
    private readonly ImmutableHashSet<string> _namesTargeted;
    private readonly SharedRuleSets _shared;

    /// <summary>Per type, each policy's stored JSON and its parse, so an unchanged policy is not parsed again.</summary>
    private readonly ImmutableArray<Dictionary<string, (string Json, PolicyItem Item)>> _parsed;

    private MeshPolicies(MeshSnapshot snapshot, MeshPolicies? previous)
    {
        var items = ImmutableArray.CreateBuilder<ImmutableArray<PolicyItem>>(PolicyTypes.All.Count);
        var parsedByType = ImmutableArray.CreateBuilder<Dictionary<string, (string, PolicyItem)>>(PolicyTypes.All.Count);
        var unchanged = previous is not null;
        var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            var parsed = new Dictionary<string, (string, PolicyItem)>(StringComparer.Ordinal);
            var list = ImmutableArray.CreateBuilder<PolicyItem>();
            foreach (var resource in snapshot.OfType(PolicyTypes.All[t].Name))
            {
                var item = previous is not null && previous._parsed[t].TryGetValue(resource.Key.Name, out var known)
                    && string.Equals(known.Json, resource.SpecJson, StringComparison.Ordinal) && SameLabels(known.Item, resource)
                        ? known.Item
                        : PolicyItem.FromSpecJson(resource.Key.Name, resource.SpecJson) with
                        {
                            Mesh = snapshot.Mesh,
                            Labels = resource.Labels.ToImmutableDictionary(StringComparer.Ordinal),
                        };
                parsed[resource.Key.Name] = (resource.SpecJson, item);
                list.Add(item);
                CollectNamesTargeted(item, names);
            }
            var before = previous?.Items[t] ?? [];
            unchanged &= list.Count == before.Length && list.Zip(before).All(p => ReferenceEquals(p.First, p.Second));
            items.Add(list.ToImmutable());
            parsedByType.Add(parsed);
        }
        Items = items.MoveToImmutable();
        Routes = MeshHttpRouteTargets.From(Items[RouteTypeIndex]);
        _parsed = parsedByType.MoveToImmutable();
        _namesTargeted = names.ToImmutable();
        // Merged rules depend on nothing but the policies and the profile: identical policies keep them,
        // unless dataplanes coming and going have left far more profiles than the mesh has dataplanes.
        var dataplanes = snapshot.OfType(ResourceTypes.Dataplane.Name).Count();
        var keep = unchanged && previous!._byProfile.Count <= 2 * dataplanes + 64;
        _byProfile = keep ? previous!._byProfile : new(StringComparer.Ordinal);
        _shared = keep ? previous!._shared : new SharedRuleSets();
        Unchanged = unchanged;
    }

    public static MeshPolicies Build(MeshSnapshot snapshot, MeshPolicies? previous) => new(snapshot, previous);

    /// <summary>Per registered policy type (in registry order), the policies of that type in this mesh.</summary>
    public ImmutableArray<ImmutableArray<PolicyItem>> Items { get; }

    /// <summary>The mesh's MeshHTTPRoutes as policies aimed at a route resolve them.</summary>
    public RouteTargets Routes { get; }

    private static readonly int RouteTypeIndex =
        PolicyTypes.All.Select((type, index) => (type, index)).Single(p => p.type.Name == MeshHttpRoutePolicy.Descriptor.Name).index;

    /// <summary>True when every policy is the same object as in the generation this one was built from.</summary>
    public bool Unchanged { get; }

    public ProxyRules RulesFor(string dataplaneName, DataplaneSpec spec, IReadOnlyDictionary<string, string> labels)
    {
        var facts = Facts(dataplaneName, spec, labels);
        var profile = ProfileKey(facts);
        return _byProfile.GetOrAdd(profile, _ => new ProxyRules(facts, Items, Routes, _shared));
    }

    private static bool SameLabels(PolicyItem item, StoredResource resource) =>
        item.Labels.Count == resource.Labels.Count && resource.Labels.All(l => item.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    private static void CollectNamesTargeted(PolicyItem item, ImmutableHashSet<string>.Builder names)
    {
        if (item.TargetRef is { Kind: TargetRefKinds.Dataplane, Name: { Length: > 0 } name }) names.Add(name);
    }

    /// <summary>What selectors see of a dataplane: its name, labels, inbounds and proxy type.</summary>
    public static ProxyFacts Facts(string name, DataplaneSpec spec, IReadOnlyDictionary<string, string> labels)
    {
        var net = spec.Networking;
        var inbounds = (net?.Inbound ?? []).Select(i => new InboundFacts(
            i.Name ?? "", i.Port ?? 0, (IReadOnlyDictionary<string, string>?)i.Tags ?? ImmutableDictionary<string, string>.Empty)).ToImmutableArray();
        return new ProxyFacts(name, labels, inbounds, net?.Gateway is null ? "Sidecar" : "Gateway");
    }

    private string ProfileKey(ProxyFacts facts)
    {
        var key = new StringBuilder();
        key.Append(facts.ProxyType).Append('|');
        if (_namesTargeted.Contains(facts.Name)) key.Append(facts.Name);
        key.Append('|');
        foreach (var (k, v) in facts.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)) key.Append(k).Append('=').Append(v).Append(';');
        foreach (var inbound in facts.Inbounds)
        {
            key.Append('|').Append(inbound.Name).Append(':').Append(inbound.Port).Append(':');
            foreach (var (k, v) in inbound.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)) key.Append(k).Append('=').Append(v).Append(';');
        }
        return key.ToString();
    }
}
