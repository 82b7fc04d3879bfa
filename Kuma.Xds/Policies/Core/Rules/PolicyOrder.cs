using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.Rules;

/// <summary>
/// Kuma's precedence among policies that select the same proxy: least specific first, so the last one wins
/// when their confs are merged in order.
/// </summary>
internal static class PolicyOrder
{
    private static readonly Dictionary<string, int> KindRank = new(StringComparer.Ordinal)
    {
        [Mesh] = 1,
        [Dataplane] = 2,
        [MeshSubset] = 3,
        [MeshGateway] = 4,
        [MeshService] = 5,
        [MeshExternalService] = 6,
        [MeshMultiZoneService] = 7,
        [MeshServiceSubset] = 8,
        [MeshHTTPRoute] = 9,
    };

    // A policy without an origin label ranks between one synced from global and one created in the zone.
    private static readonly Dictionary<string, int> OriginRank = new(StringComparer.Ordinal)
    {
        ["global"] = 1,
        [""] = 2,
        ["zone"] = 3,
    };

    private static readonly Dictionary<string, int> RoleRank = new(StringComparer.Ordinal)
    {
        ["system"] = 1,
        ["producer"] = 2,
        ["consumer"] = 3,
        ["workload-owner"] = 4,
    };

    /// <summary>Order of the matched-policy list (and of the policies feeding outbound and single-item merges).</summary>
    public static readonly Comparison<PolicyItem> Policies = (a, b) =>
    {
        var c = CompareAttributes(a, b);
        if (c != 0) return c;
        var ta = a.EffectiveTargetRef;
        var tb = b.EffectiveTargetRef;
        if (ta.Kind == MeshGateway)
        {
            c = (ta.Tags?.Count ?? 0) - (tb.Tags?.Count ?? 0);
            if (c != 0) return c;
        }
        c = CompareRole(a, b);
        return c != 0 ? c : CompareNames(a, b);
    };

    /// <summary>
    /// Order of inbound (<c>rules</c> / from-as-rules) entries: like <see cref="Policies"/> without the MeshGateway
    /// tag count, which Kuma only weighs for the matched-policy list.
    /// </summary>
    public static readonly Comparison<PolicyItem> Inbound = (a, b) =>
    {
        var c = CompareAttributes(a, b);
        if (c != 0) return c;
        c = CompareRole(a, b);
        return c != 0 ? c : CompareNames(a, b);
    };

    public static int Rank(string? kind) => kind is not null && KindRank.TryGetValue(kind, out var r) ? r : 0;

    private static int CompareAttributes(PolicyItem a, PolicyItem b)
    {
        var ta = a.EffectiveTargetRef;
        var tb = b.EffectiveTargetRef;
        var c = Rank(ta.Kind) - Rank(tb.Kind);
        if (c != 0) return c;
        c = CompareDataplaneRefs(ta, tb);
        if (c != 0) return c;
        return Lookup(OriginRank, a.Origin) - Lookup(OriginRank, b.Origin);
    }

    private static int CompareRole(PolicyItem a, PolicyItem b) => Lookup(RoleRank, a.Role) - Lookup(RoleRank, b.Role);

    // Reverse lexical: among equals, the alphabetically first name sorts last and therefore wins.
    private static int CompareNames(PolicyItem a, PolicyItem b) => string.CompareOrdinal(b.Name, a.Name);

    private static int CompareDataplaneRefs(TargetRef a, TargetRef b)
    {
        if (a.Kind != Dataplane || b.Kind != Dataplane) return 0;
        if (ByName(a) && b.Labels is not null) return 1;
        if (a.Labels is not null && ByName(b)) return -1;
        var sa = !string.IsNullOrEmpty(a.SectionName);
        var sb = !string.IsNullOrEmpty(b.SectionName);
        return sa == sb ? 0 : sa ? 1 : -1;
    }

    private static bool ByName(TargetRef r) => !string.IsNullOrEmpty(r.Name);

    private static int Lookup(Dictionary<string, int> ranks, string key) => ranks.TryGetValue(key, out var r) ? r : 0;
}
