using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>What a stream asked for on one type: everything (wildcard) and/or these names.</summary>
public sealed class Subscription
{
    public bool Wildcard { get; private set; }
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies a state-of-the-world request's names. An empty first request (or "*") on LDS/CDS means
    /// everything; once names were given, an empty list means nothing. Returns the names newly asked for.
    /// </summary>
    public IReadOnlyCollection<string> ReplaceWith(IReadOnlyCollection<string> requested, string typeUrl, bool first)
    {
        var wildcardType = TypeUrls.RequiresFullState(typeUrl);
        Wildcard = wildcardType && (requested.Contains("*") || (requested.Count == 0 && (first || (Wildcard && Names.Count == 0))));
        var explicitNames = requested.Where(n => n != "*").ToHashSet(StringComparer.Ordinal);
        var added = explicitNames.Where(n => !Names.Contains(n)).ToList();
        Names.Clear();
        Names.UnionWith(explicitNames);
        return added;
    }

    /// <summary>Delta: names join and leave one by one.</summary>
    public void Apply(IEnumerable<string> subscribe, IEnumerable<string> unsubscribe)
    {
        foreach (var name in subscribe)
        {
            if (name == "*") Wildcard = true;
            else Names.Add(name);
        }
        foreach (var name in unsubscribe)
        {
            if (name == "*") Wildcard = false;
            else Names.Remove(name);
        }
    }

    public void SetWildcard() => Wildcard = true;

    /// <summary>The resources this subscription selects from a proxy's config, each once, in name order.</summary>
    public IReadOnlyList<XdsResource> Select(ProxyConfig? config, string typeUrl)
    {
        if (config is null) return [];
        var selected = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
        if (Wildcard)
        {
            foreach (var r in config.Wildcard(typeUrl)) selected[r.Name] = r;
        }
        foreach (var name in Names)
        {
            if (!selected.ContainsKey(name) && config.Find(typeUrl, name) is { } r) selected[name] = r;
        }
        return [.. selected.Values];
    }
}
