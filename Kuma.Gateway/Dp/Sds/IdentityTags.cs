using System.Collections.Immutable;
using Kuma.Resources.Core;

namespace Kuma.Gateway.Dp.Sds;

/// <summary>
/// The tags a dataplane's certificate names, as Kuma takes them: every tag of every inbound (and a gateway's own
/// tags), each name with all its values.
/// </summary>
internal static class IdentityTags
{
    public const string ServiceTag = "kuma.io/service";

    /// <summary>Null when the dataplane has no service to be: such a proxy gets no certificate.</summary>
    public static ImmutableSortedDictionary<string, ImmutableArray<string>>? Of(DataplaneSpec? dataplane)
    {
        if (dataplane?.Networking is not { } net) return null;
        var values = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Add(Dictionary<string, string>? tags)
        {
            foreach (var (name, value) in tags ?? [])
            {
                if (!values.TryGetValue(name, out var set)) values[name] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(value);
            }
        }
        foreach (var inbound in net.Inbound ?? []) Add(inbound.Tags);
        Add(net.Gateway?.Tags);
        if (!values.ContainsKey(ServiceTag)) return null;
        return values.ToImmutableSortedDictionary(v => v.Key, v => v.Value.ToImmutableArray(), StringComparer.Ordinal);
    }

    public static bool Same(ImmutableSortedDictionary<string, ImmutableArray<string>>? a, ImmutableSortedDictionary<string, ImmutableArray<string>>? b) =>
        ReferenceEquals(a, b)
        || (a is not null && b is not null && a.Count == b.Count
            && a.All(t => b.TryGetValue(t.Key, out var other) && t.Value.AsSpan().SequenceEqual(other.AsSpan())));
}
