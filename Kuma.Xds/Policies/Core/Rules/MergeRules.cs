using System.Collections.Immutable;

namespace Kuma.Policies.Rules;

/// <summary>
/// How one policy type's <c>default</c> blocks combine. Without exceptions they are JSON merge patches applied in
/// order (later wins, lists replaced); the exceptions below are the ones Kuma makes.
/// </summary>
public sealed record MergeRules
{
    public static readonly MergeRules Plain = new();

    /// <summary>
    /// Dotted paths (within a conf) of lists that accumulate: the merged list is every conf's list at that path,
    /// in merge order. Kuma does this for fields whose name starts with <c>append</c>.
    /// </summary>
    public ImmutableArray<string> AppendPaths { get; init; } = [];

    /// <summary>Top-level lists whose items are merged by a key instead of replaced.</summary>
    public ImmutableArray<KeyedList> KeyedLists { get; init; } = [];

    /// <summary>
    /// A top-level string list that splits the merge: confs are grouped per value (a conf listing two values joins
    /// both groups), and each group is merged on its own. Confs without values form the group of the empty value.
    /// </summary>
    public string? SplitByValuesOf { get; init; }

    /// <summary>
    /// The policy type turns its <c>from</c> entries into catch-all inbound rules when it has no <c>rules</c>
    /// (Kuma's <c>isFromAsRules</c>). Such entries then also feed <see cref="InboundRules.Conf"/>.
    /// </summary>
    public bool FromAsRules { get; init; }

    private static readonly MergeRules FromAsRulesOnly = new() { FromAsRules = true };

    /// <summary>The exceptions Kuma makes for a policy type (by its type name); plain merge for the rest.</summary>
    public static MergeRules ForPolicyType(string policyType) => policyType switch
    {
        "MeshProxyPatch" => new() { AppendPaths = ["appendModifications"] },
        "MeshPassthrough" => new() { AppendPaths = ["appendMatch"] },
        "MeshMetric" => new() { AppendPaths = ["sidecar.profiles.appendProfiles"] },
        "MeshHTTPRoute" => new()
        {
            KeyedLists = [new KeyedList("rules", "matches", "default", MostSpecificFirst: true)],
            SplitByValuesOf = "hostnames",
        },
        "MeshAccessLog" or "MeshCircuitBreaker" or "MeshRateLimit" or "MeshTLS" or "MeshTimeout" => FromAsRulesOnly,
        _ => Plain,
    };
}

/// <summary>
/// A list merged by key: items whose <paramref name="KeyField"/> values are deep-equal become one item whose
/// <paramref name="ValueField"/> is the merge of theirs, in order. Items are ordered by their last appearance.
/// </summary>
/// <param name="MostSpecificFirst">
/// Kuma's MeshHTTPRoute ordering: the result lists the most specific policy's items first, in the order that
/// policy declares them, followed by the remaining items of less specific policies.
/// </param>
public sealed record KeyedList(string Path, string KeyField, string ValueField, bool MostSpecificFirst = false);
