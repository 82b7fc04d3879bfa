namespace Kuma.Policies.Rules;

/// <summary>
/// Kuma's order of inbound rules: a rule with a SPIFFE ID match before one without (Exact before Prefix),
/// then a rule with an SNI match before one without. Everything else keeps policy order.
/// </summary>
internal static class MatchOrder
{
    public static int Compare(Match? a, Match? b)
    {
        var c = ComparePresence(a?.SpiffeID, b?.SpiffeID);
        if (c != 0) return c;
        if (a?.SpiffeID is { } sa && b?.SpiffeID is { } sb)
        {
            c = Score(sb) - Score(sa);
            if (c != 0) return c;
        }
        return ComparePresence(a?.Sni, b?.Sni);
    }

    private static int ComparePresence(MatchValue? a, MatchValue? b) => (a, b) switch
    {
        (not null, null) => -1,
        (null, not null) => 1,
        _ => 0,
    };

    private static int Score(MatchValue m) => m.Type switch
    {
        "Exact" => 2,
        "Prefix" => 1,
        _ => 0,
    };
}
