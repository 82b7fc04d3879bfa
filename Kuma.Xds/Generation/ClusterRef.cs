using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Kuma.Xds.Generation;

/// <summary>
/// An outbound cluster: every endpoint of a service, or only those carrying the extra <paramref name="Subset"/>
/// tags (what Kuma calls a split cluster, made for routes to a MeshServiceSubset or an outbound with tags).
/// Its name is a function of service and subset, so the same subset gets the same cluster on every proxy.
/// </summary>
public sealed record ClusterRef(string Service, Tags Subset)
{
    /// <summary>The service's own cluster.</summary>
    public static ClusterRef Whole(string service) => new(service, Tags.Empty);

    /// <summary>The part of <paramref name="service"/> selected by <paramref name="tags"/>; a service tag among them is ignored.</summary>
    public static ClusterRef Of(string service, IEnumerable<KeyValuePair<string, string>>? tags) =>
        new(service, new Tags((tags ?? []).Where(t => t.Key != ServiceEndpoint.ServiceTag)));

    /// <summary>
    /// The service name when there is no subset; otherwise Kuma's split name <c>&lt;service&gt;-&lt;16 hex digits&gt;</c>:
    /// the first 8 bytes of SHA-256 over every tag key and value (service tag included) in key order.
    /// </summary>
    public string Name { get; } = Subset.Values.IsEmpty ? Service : SplitName(Service, Subset);

    /// <summary>Whether an endpoint of the service belongs to this cluster.</summary>
    public bool Selects(ImmutableSortedDictionary<string, string> endpointTags) =>
        Subset.Values.All(t => endpointTags.TryGetValue(t.Key, out var value) && value == t.Value);

    private static string SplitName(string service, Tags subset)
    {
        var all = subset.Values.SetItem(ServiceEndpoint.ServiceTag, service);
        var text = new StringBuilder();
        foreach (var (key, value) in all) text.Append(key).Append(value);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return $"{service}-{Convert.ToHexStringLower(digest.AsSpan(0, 8))}";
    }
}

/// <summary>The clusters an outbound listener routes to, in name order, compared by content (so inputs holding them compare by value).</summary>
public sealed class ClusterRefs : IEquatable<ClusterRefs>
{
    private readonly string _key;

    public ClusterRefs(IEnumerable<ClusterRef> clusters)
    {
        var byName = new SortedDictionary<string, ClusterRef>(StringComparer.Ordinal);
        foreach (var cluster in clusters) byName.TryAdd(cluster.Name, cluster);
        Items = [.. byName.Values];
        _key = string.Join('\u001f', byName.Keys);
    }

    public static ClusterRefs Empty { get; } = new([]);

    public ImmutableArray<ClusterRef> Items { get; }

    public bool Contains(ClusterRef cluster) => Items.Contains(cluster);

    public bool Equals(ClusterRefs? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as ClusterRefs);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
}
