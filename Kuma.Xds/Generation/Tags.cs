using System.Collections.Immutable;
using System.Text;

namespace Kuma.Xds.Generation;

/// <summary>Tags compared by content, so inputs that hold them compare by value.</summary>
public sealed class Tags : IEquatable<Tags>
{
    private readonly string _key;

    public Tags(IEnumerable<KeyValuePair<string, string>>? tags)
    {
        Values = (tags ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);
        var key = new StringBuilder();
        foreach (var (k, v) in Values) key.Append(k).Append('\u001e').Append(v).Append('\u001f');
        _key = key.ToString();
    }

    public static Tags Empty { get; } = new(null);

    public ImmutableSortedDictionary<string, string> Values { get; }

    public bool Equals(Tags? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as Tags);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
    public override string ToString() => _key;
}
