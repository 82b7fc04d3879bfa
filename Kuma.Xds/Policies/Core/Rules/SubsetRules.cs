using System.Collections.Immutable;
using System.Text.Json.Nodes;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.Rules;

/// <summary>One tag condition of a subset: <c>Key = Value</c>, or <c>Key != Value</c> when <paramref name="Not"/>.</summary>
public readonly record struct SubsetTag(string Key, string Value, bool Not = false);

/// <summary>A conf for the group of proxies a subset describes, and the policies that contributed to it.</summary>
public sealed record SubsetRule(ImmutableArray<SubsetTag> Subset, JsonObject Conf, ImmutableArray<PolicyOrigin> Origins);

/// <summary>
/// Kuma's tag-subset ("legacy") rules: each entry's targetRef becomes a set of tags, subsets that can hold the
/// same proxy are grouped (maximal cliques of the intersection graph), every combination of those tags with
/// their negations becomes a candidate subset, and each candidate gets the merge of the entries that cover it.
/// Used for per-caller <c>from</c> rules (with negations) and the inspect view of <c>to</c> rules (without).
/// </summary>
public static class SubsetRules
{
    public sealed record Entry(TargetRef TargetRef, JsonObject Conf, PolicyOrigin Origin);

    /// <param name="entries">In merge order (least specific policy first, then list order).</param>
    public static ImmutableArray<SubsetRule> Build(IReadOnlyList<Entry> entries, bool withNegations, MergeRules merge)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(merge);
        var items = entries.Select(e => (Entry: e, Subset: AsSubset(e.TargetRef))).Where(i => i.Subset is not null)
            .Select(i => (i.Entry, Subset: i.Subset!.Value)).ToList();
        if (items.Count == 0) return [];

        var rules = new List<SubsetRule>();
        var keys = items.SelectMany(i => i.Subset).Select(t => t.Key).Distinct(StringComparer.Ordinal).Count();
        if (!withNegations && keys <= 1)
        {
            var distinct = new List<ImmutableArray<SubsetTag>>();
            foreach (var (_, subset) in items)
            {
                if (!distinct.Any(d => SameTags(d, subset))) distinct.Add(subset);
            }
            foreach (var subset in distinct) AddRule(rules, subset, items, merge);
            return [.. rules.OrderByDescending(r => r.Subset.Length)];
        }

        foreach (var clique in Cliques(items.Select(i => i.Subset).ToList()))
        {
            var tags = clique.SelectMany(n => items[n].Subset).Distinct()
                .OrderBy(t => t.Key, StringComparer.Ordinal).ThenBy(t => t.Value, StringComparer.Ordinal).ToList();
            foreach (var candidate in Combinations(tags)) AddRule(rules, candidate, items, merge);
        }
        return [.. rules.OrderByDescending(r => r.Subset.Count(t => !t.Not))];
    }

    /// <summary>The tags a caller or destination selector stands for; null for kinds that have none.</summary>
    public static ImmutableArray<SubsetTag>? AsSubset(TargetRef targetRef)
    {
        ArgumentNullException.ThrowIfNull(targetRef);
        IEnumerable<SubsetTag> Tags() => (targetRef.Tags ?? []).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new SubsetTag(t.Key, t.Value));
        var service = new SubsetTag(PolicyLabels.ServiceTag, targetRef.Name ?? "");
        return targetRef.Kind switch
        {
            Mesh => [],
            MeshSubset => [.. Tags()],
            MeshService => [service],
            MeshServiceSubset => [service, .. Tags()],
            _ => null,
        };
    }

    private static void AddRule(List<SubsetRule> rules, ImmutableArray<SubsetTag> subset,
        List<(Entry Entry, ImmutableArray<SubsetTag> Subset)> items, MergeRules merge)
    {
        var covering = items.Where(i => Covers(i.Subset, subset)).Select(i => i.Entry).ToList();
        if (covering.Count == 0) return;
        // One origin per policy, in order of first contribution.
        var origins = covering.Select(c => c.Origin).DistinctBy(o => o.Policy).ToImmutableArray();
        rules.Add(new SubsetRule(subset, JsonMerge.Merge(covering.Select(c => c.Conf), merge), origins));
    }

    /// <summary>Whether every proxy of <paramref name="inner"/> belongs to <paramref name="outer"/>.</summary>
    public static bool Covers(ImmutableArray<SubsetTag> outer, ImmutableArray<SubsetTag> inner)
    {
        // Plain loops: with many callers this runs entries × candidates times per inbound.
        foreach (var tag in outer)
        {
            var sameKey = false;
            foreach (var other in inner)
            {
                if (other.Key != tag.Key) continue;
                sameKey = true;
                var covered = tag.Not == other.Not ? tag.Value == other.Value : tag.Not && tag.Value != other.Value;
                if (!covered) return false;
            }
            if (!sameKey) return false;
        }
        return true;
    }

    /// <summary>Whether some proxy could belong to both (only positive tags can conflict).</summary>
    public static bool Intersect(ImmutableArray<SubsetTag> a, ImmutableArray<SubsetTag> b)
    {
        if (a.IsEmpty || b.IsEmpty) return true;
        foreach (var tag in a)
        {
            if (tag.Not) continue;
            foreach (var o in b)
            {
                if (!o.Not && o.Key == tag.Key && o != tag) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Maximal cliques of the intersection graph, each as ascending node indexes, ordered as Kuma orders them:
    /// by the colon-joined indexes, descending as text.
    /// </summary>
    private static List<List<int>> Cliques(List<ImmutableArray<SubsetTag>> subsets)
    {
        var n = subsets.Count;
        var adjacent = new HashSet<int>[n];
        for (var i = 0; i < n; i++)
        {
            adjacent[i] = [.. Enumerable.Range(0, n).Where(j => j != i && Intersect(subsets[i], subsets[j]))];
        }
        var cliques = new List<List<int>>();
        void Extend(List<int> clique, HashSet<int> candidates, HashSet<int> excluded)
        {
            if (candidates.Count == 0 && excluded.Count == 0)
            {
                cliques.Add([.. clique.Order()]);
                return;
            }
            foreach (var v in candidates.ToList())
            {
                Extend([.. clique, v], [.. candidates.Where(adjacent[v].Contains)], [.. excluded.Where(adjacent[v].Contains)]);
                candidates.Remove(v);
                excluded.Add(v);
            }
        }
        Extend([], [.. Enumerable.Range(0, n)], []);
        return [.. cliques.OrderByDescending(c => string.Join(':', c), StringComparer.Ordinal)];
    }

    /// <summary>
    /// Every choice, per key, of one of its values or of none of them (all negated), in Kuma's order: the first key
    /// counts fastest, the "none" choice comes first, then values from last to first; the all-first-choice
    /// combination (each key's last value) is produced last.
    /// </summary>
    private static IEnumerable<ImmutableArray<SubsetTag>> Combinations(List<SubsetTag> tags)
    {
        var dims = tags.GroupBy(t => t.Key, StringComparer.Ordinal)
            .Select(g => (Key: g.Key, Values: g.Select(t => t.Value).Distinct(StringComparer.Ordinal).ToList())).ToList();
        var index = new int[dims.Count];
        ImmutableArray<SubsetTag> Current()
        {
            var subset = ImmutableArray.CreateBuilder<SubsetTag>();
            for (var d = 0; d < dims.Count; d++)
            {
                var values = dims[d].Values;
                if (index[d] == values.Count) subset.AddRange(values.Select(v => new SubsetTag(dims[d].Key, v, Not: true)));
                else subset.Add(new SubsetTag(dims[d].Key, values[values.Count - index[d] - 1]));
            }
            return subset.ToImmutable();
        }
        while (true)
        {
            var advanced = false;
            for (var d = 0; d < dims.Count; d++)
            {
                if (++index[d] <= dims[d].Values.Count)
                {
                    advanced = true;
                    break;
                }
                index[d] = 0;
            }
            yield return Current();
            if (!advanced) yield break;
        }
    }

    private static bool SameTags(ImmutableArray<SubsetTag> a, ImmutableArray<SubsetTag> b) =>
        a.Length == b.Length && a.OrderBy(t => t.Key, StringComparer.Ordinal).ThenBy(t => t.Value, StringComparer.Ordinal)
            .SequenceEqual(b.OrderBy(t => t.Key, StringComparer.Ordinal).ThenBy(t => t.Value, StringComparer.Ordinal));
}
