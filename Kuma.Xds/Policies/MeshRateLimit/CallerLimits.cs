using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Validation;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>A request limit for the callers whose SPIFFE ID matches; a null limit lifts any limit for them.</summary>
internal sealed record CallerLimit(string MatchType, string Id, Any? Limit);

/// <summary>
/// Kuma's limits per caller identity on one inbound: one entry per distinct SPIFFE ID match of the rules that
/// set an HTTP limit, the most specific first (Exact before Prefix, longer prefix before shorter), each the merge
/// of the catch-all conf and every such rule whose match covers it, least specific first.
/// </summary>
internal static class CallerLimits
{
    private static readonly MergeRules Merge = MergeRules.ForPolicyType(MeshRateLimitPolicy.Descriptor.Name);

    /// <summary>Empty when nothing would limit: neither the catch-all conf nor any caller's merged conf.</summary>
    public static IReadOnlyList<CallerLimit> For(InboundRules rules, MeshRateLimitConf? catchAll)
    {
        ArgumentNullException.ThrowIfNull(rules);
        // A rule that also names an SNI would need the requested server name per route, which only Kuma's zone
        // proxies match on; sidecars never see such a rule applied.
        var matched = rules.Rules
            .Where(r => r.Match is { SpiffeID: { Type: not null, Value: not null }, Sni: null } && Read(r.Conf)?.Local?.Http is not null)
            .Select(r => (Id: r.Match!.SpiffeID!, r.Conf))
            .OrderByDescending(r => Score(r.Id)).ThenByDescending(r => PrefixLength(r.Id))
            .ToList();
        var catchAllHttp = catchAll?.Local?.Http is not null ? rules.Conf : null;

        var limits = new List<CallerLimit>();
        foreach (var (id, _) in matched)
        {
            if (limits.Any(l => l.MatchType == id.Type && l.Id == id.Value)) continue;
            var covering = matched.Where(c => Covers(c.Id, id))
                .OrderBy(c => Score(c.Id)).ThenBy(c => PrefixLength(c.Id))
                .Select(c => c.Conf);
            JsonObject[] confs = [.. catchAllHttp is null ? [] : new[] { catchAllHttp }, .. covering];
            var merged = Read(JsonMerge.Merge(confs, Merge));
            limits.Add(new CallerLimit(id.Type!, id.Value!, LocalRateLimits.ForRoute(merged?.Local?.Http)));
        }
        var anyLimit = LocalRateLimits.ForRoute(catchAll?.Local?.Http) is not null || limits.Any(l => l.Limit is not null);
        return anyLimit ? limits : [];
    }

    /// <summary>Whether every ID <paramref name="target"/> matches is also matched by <paramref name="candidate"/>.</summary>
    private static bool Covers(MatchValue candidate, MatchValue target) => candidate.Type switch
    {
        "Exact" => target.Type == "Exact" && candidate.Value == target.Value,
        "Prefix" => target.Value!.StartsWith(candidate.Value!, StringComparison.Ordinal),
        _ => false,
    };

    private static int Score(MatchValue id) => id.Type switch
    {
        "Exact" => 2,
        "Prefix" => 1,
        _ => 0,
    };

    private static int PrefixLength(MatchValue id) => id.Type == "Prefix" ? id.Value!.Length : 0;

    public static MeshRateLimitConf? Read(JsonObject? conf) => conf?.Deserialize<MeshRateLimitConf>(SpecBinder.Options);
}
