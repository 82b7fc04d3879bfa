using System.Collections;
using System.Security.Cryptography;
using System.Text;

namespace Kuma.Xds.Generation;

/// <summary>
/// Resources of one type in name order, as a stream sends them, with their combined version computed
/// once however many streams send the same set.
/// </summary>
public sealed class ResourceSet(XdsResource[] items) : IReadOnlyList<XdsResource>
{
    private string? _version;

    public static ResourceSet Empty { get; } = new([]);

    /// <summary>Digest of the names and versions: unchanged content keeps its version across generations.</summary>
    public string Version => _version ??= VersionOf(items);

    public int Count => items.Length;
    public XdsResource this[int index] => items[index];

    public static string VersionOf(IReadOnlyList<XdsResource> resources)
    {
        if (resources is ResourceSet set) return set.Version;
        var text = new StringBuilder();
        foreach (var r in resources) text.Append(r.Name).Append('@').Append(r.Version).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))[..8]);
    }

    public IEnumerator<XdsResource> GetEnumerator() => ((IEnumerable<XdsResource>)items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A set of resource names in ordinal order, compared by content, so streams asking for the same names share one selection.</summary>
public sealed class NamesKey : IEquatable<NamesKey>
{
    private readonly int _hash;

    public NamesKey(IEnumerable<string> names)
    {
        Names = [.. names.Order(StringComparer.Ordinal)];
        var hash = new HashCode();
        foreach (var n in Names) hash.Add(n, StringComparer.Ordinal);
        _hash = hash.ToHashCode();
    }

    public string[] Names { get; }

    public bool Equals(NamesKey? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && Names.AsSpan().SequenceEqual(other.Names)));

    public override bool Equals(object? obj) => Equals(obj as NamesKey);
    public override int GetHashCode() => _hash;
}
