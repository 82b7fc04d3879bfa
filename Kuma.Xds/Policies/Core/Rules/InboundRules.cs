using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Kuma.Policies.Rules;

/// <summary>
/// What one policy type configures on one inbound.
/// </summary>
/// <param name="Conf">Merge of every catch-all rule (no match), least specific policy first; null when there is none.</param>
/// <param name="Conditional">
/// Rules that apply to some callers only, one per match, in Kuma's order: SPIFFE ID exact before prefix before
/// none, SNI before none, then policy order. Their confs are not merged with anything.
/// </param>
public sealed record InboundRules(
    JsonObject? Conf,
    ImmutableArray<(ImmutableArray<Match> Matches, JsonObject Conf)> Conditional)
{
    public static readonly InboundRules Empty = new(null, []) { };

    /// <summary>Policies whose catch-all rules make up <see cref="Conf"/>, in merge order.</summary>
    public ImmutableArray<PolicyOrigin> ConfOrigins { get; init; } = [];

    /// <summary>Every rule as Kuma lists it (conditional ones first, catch-alls last), with its origin.</summary>
    public ImmutableArray<InboundRule> Rules { get; init; } = [];

    /// <summary>
    /// The legacy <c>from</c> entries of the policies selecting this inbound, in merge order, with their caller
    /// selectors. Policies such as MeshTrafficPermission evaluate these per caller (see <see cref="ForCaller"/>).
    /// </summary>
    public ImmutableArray<FromRule> From { get; init; } = [];

    /// <summary>
    /// Merged <c>from</c> confs for a caller with these tags (its <c>kuma.io/service</c> and other tags): the
    /// entries whose targetRef selects the caller, merged in order. Null when none does.
    /// </summary>
    public JsonObject? ForCaller(IReadOnlyDictionary<string, string> callerTags, MergeRules merge)
    {
        var confs = From.Where(f => FromRule.SelectsCaller(f.TargetRef, callerTags)).Select(f => f.Conf).ToList();
        return confs.Count == 0 ? null : JsonMerge.Merge(confs, merge);
    }

    /// <summary>
    /// The whole conf for a caller with these tags: the catch-all <see cref="Conf"/> with the caller's merged
    /// <see cref="From"/> entries over it (what a destination without a proxy of its own asks its callers to apply).
    /// </summary>
    public JsonObject? ConfForCaller(IReadOnlyDictionary<string, string> callerTags, MergeRules merge)
    {
        var forCaller = ForCaller(callerTags, merge);
        if (Conf is null) return forCaller;
        return forCaller is null ? Conf : JsonMerge.Merge([Conf, forCaller], merge);
    }

    /// <summary>
    /// The <see cref="From"/> entries as Kuma's caller subsets with negations (for filters that must tell callers
    /// apart by their tags, e.g. MeshFaultInjection's header match), most positive tags first.
    /// </summary>
    public ImmutableArray<SubsetRule> CallerSubsets(MergeRules merge)
    {
        // Proxies of a profile share these rules, and the subsets with negations cost O(entries²) each time;
        // kept beside the record (not in it, so its value equality stays about the rules alone).
        var cached = CallerSubsetsCache.GetValue(this, _ => new CachedSubsets());
        lock (cached)
        {
            if (cached.Merge != merge)
            {
                cached.Subsets = SubsetRules.Build([.. From.Select(f => new SubsetRules.Entry(f.TargetRef, f.Conf, f.Origin))], withNegations: true, merge);
                cached.Merge = merge;
            }
            return cached.Subsets;
        }
    }

    private static readonly ConditionalWeakTable<InboundRules, CachedSubsets> CallerSubsetsCache = new();

    private sealed class CachedSubsets
    {
        public MergeRules? Merge;
        public ImmutableArray<SubsetRule> Subsets;
    }
}

/// <param name="Match">Null for a catch-all rule.</param>
public sealed record InboundRule(Match? Match, JsonObject Conf, PolicyOrigin Origin);

public sealed record FromRule(TargetRef TargetRef, JsonObject Conf, PolicyOrigin Origin)
{
    /// <summary>Kuma's caller subsets: Mesh is everyone, the others require their tags (and service name).</summary>
    public static bool SelectsCaller(TargetRef targetRef, IReadOnlyDictionary<string, string> callerTags)
    {
        ArgumentNullException.ThrowIfNull(targetRef);
        ArgumentNullException.ThrowIfNull(callerTags);
        return targetRef.Kind switch
        {
            TargetRefKinds.Mesh => true,
            TargetRefKinds.MeshSubset => Has(callerTags, targetRef.Tags),
            TargetRefKinds.MeshService => Has(callerTags, PolicyLabels.ServiceTag, targetRef.Name),
            TargetRefKinds.MeshServiceSubset =>
                Has(callerTags, PolicyLabels.ServiceTag, targetRef.Name) && Has(callerTags, targetRef.Tags),
            _ => false,
        };
    }

    private static bool Has(IReadOnlyDictionary<string, string> tags, Dictionary<string, string>? wanted) =>
        wanted is null || wanted.All(w => Has(tags, w.Key, w.Value));

    private static bool Has(IReadOnlyDictionary<string, string> tags, string key, string? value) =>
        tags.TryGetValue(key, out var actual) && actual == value;
}
