using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Kuma.Policies.Rules;

/// <summary>
/// Merges shared by every group of proxies evaluated against the same parsed policies. Groups that differ in
/// what selects them often merge the same entries for an outbound (the Mesh-wide ones, say); they then get
/// the same merged objects, so whatever is derived from a merged conf (typed confs, rule-set keys, built
/// resources) is derived once. Keyed by the identity of the entries' confs, which a parse keeps stable.
/// </summary>
public sealed class MergeCache
{
    private readonly ConcurrentDictionary<ConfList, ImmutableArray<JsonObject>> _merged = new();

    public int Count => _merged.Count;

    public ImmutableArray<JsonObject> MergeAll(ImmutableArray<JsonObject> confsInOrder, MergeRules merge) =>
        confsInOrder.IsEmpty ? [] : _merged.GetOrAdd(new ConfList(confsInOrder, merge), key => JsonMerge.MergeAll(key.Confs, key.Merge));

    /// <summary>A list of confs compared by reference, item by item.</summary>
    private readonly struct ConfList : IEquatable<ConfList>
    {
        private readonly int _hash;

        public ConfList(ImmutableArray<JsonObject> confs, MergeRules merge)
        {
            Confs = confs;
            Merge = merge;
            var hash = new HashCode();
            hash.Add(RuntimeHelpers.GetHashCode(merge));
            foreach (var conf in confs) hash.Add(RuntimeHelpers.GetHashCode(conf));
            _hash = hash.ToHashCode();
        }

        public ImmutableArray<JsonObject> Confs { get; }
        public MergeRules Merge { get; }

        public bool Equals(ConfList other)
        {
            if (_hash != other._hash || !ReferenceEquals(Merge, other.Merge) || Confs.Length != other.Confs.Length) return false;
            for (var i = 0; i < Confs.Length; i++)
            {
                if (!ReferenceEquals(Confs[i], other.Confs[i])) return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is ConfList other && Equals(other);
        public override int GetHashCode() => _hash;
    }
}
