using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>What a stream asked for on one type: everything (wildcard) and/or these names.</summary>
public sealed class Subscription
{
    private HashSet<string> _names = new(StringComparer.Ordinal);
    private HashSet<string>? _spare;
    private NamesKey? _key;

    public bool Wildcard { get; private set; }
    public IReadOnlySet<string> Names => _names;

    /// <summary>Counts the changes of <see cref="Wildcard"/> or <see cref="Names"/>, so a stream can tell cheaply when to report them.</summary>
    public int Changes { get; private set; }

    /// <summary>
    /// Applies a state-of-the-world request's names. An empty first request (or "*") on LDS/CDS means
    /// everything; once names were given, an empty list means nothing. Returns the names newly asked for.
    /// </summary>
    public IReadOnlyCollection<string> ReplaceWith(IReadOnlyCollection<string> requested, string typeUrl, bool first)
    {
        // An ACK repeats the names it had: tell that apart without allocating, by filling a spare set.
        var star = false;
        var scratch = _spare ??= new HashSet<string>(StringComparer.Ordinal);
        scratch.Clear();
        foreach (var name in requested)
        {
            if (name == "*") star = true;
            else scratch.Add(name);
        }
        var wildcard = TypeUrls.RequiresFullState(typeUrl) && (star || (requested.Count == 0 && (first || (Wildcard && _names.Count == 0))));
        if (wildcard != Wildcard) Changes++;
        Wildcard = wildcard;
        if (scratch.SetEquals(_names)) return [];
        Changes++;
        var added = scratch.Where(n => !_names.Contains(n)).ToList();
        (_names, _spare) = (scratch, _names);
        _key = null;
        return added;
    }

    /// <summary>Delta: names join and leave one by one.</summary>
    public void Apply(IEnumerable<string> subscribe, IEnumerable<string> unsubscribe)
    {
        var (wildcard, changed) = (Wildcard, false);
        foreach (var name in subscribe)
        {
            if (name == "*") Wildcard = true;
            else if (_names.Add(name)) changed = true;
        }
        foreach (var name in unsubscribe)
        {
            if (name == "*") Wildcard = false;
            else if (_names.Remove(name)) changed = true;
        }
        if (changed) _key = null;
        if (changed || wildcard != Wildcard) Changes++;
    }

    public void SetWildcard()
    {
        if (!Wildcard) Changes++;
        Wildcard = true;
    }

    /// <summary>The resources this subscription selects from a proxy's config, each once, in name order.</summary>
    public IReadOnlyList<XdsResource> Select(ProxyConfig? config, string typeUrl)
    {
        if (config is null) return ResourceSet.Empty;
        if (_names.Count == 0) return Wildcard ? config.Wildcard(typeUrl) : ResourceSet.Empty;
        if (!Wildcard) return config.Named(typeUrl, _key ??= new NamesKey(_names));
        var selected = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
        foreach (var r in config.Wildcard(typeUrl)) selected[r.Name] = r;
        foreach (var name in _names)
        {
            if (!selected.ContainsKey(name) && config.Find(typeUrl, name) is { } r) selected[name] = r;
        }
        return [.. selected.Values];
    }

    /// <summary>Whether two selections hold the same resources at the same versions (cheap when nothing changed).</summary>
    public static bool Same(IReadOnlyList<XdsResource>? a, IReadOnlyList<XdsResource> b)
    {
        if (a is null || a.Count != b.Count) return false;
        if (ReferenceEquals(a, b)) return true;
        for (var i = 0; i < a.Count; i++)
        {
            if (!ReferenceEquals(a[i], b[i]) && (a[i].Name != b[i].Name || a[i].Version != b[i].Version)) return false;
        }
        return true;
    }
}
