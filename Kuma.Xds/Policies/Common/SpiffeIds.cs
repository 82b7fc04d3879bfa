namespace Kuma.Policies;

/// <summary>SPIFFE ID syntax (spiffe://trust-domain/path), with the reasons Kuma's SPIFFE library gives.</summary>
public static class SpiffeIds
{
    private const string Scheme = "spiffe://";

    /// <summary>Why <paramref name="id"/> is no SPIFFE ID, or null when it is one.</summary>
    public static string? Check(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "cannot be empty";
        if (!id.StartsWith(Scheme, StringComparison.Ordinal)) return "scheme is missing or invalid";
        var rest = id.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var trustDomain = slash < 0 ? rest : rest[..slash];
        foreach (var c in trustDomain)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
                return "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores";
        }
        if (trustDomain.IsEmpty) return "trust domain is missing";
        return slash < 0 ? null : CheckPath(rest[slash..]);
    }

    private static string? CheckPath(ReadOnlySpan<char> path)
    {
        foreach (var range in path[1..].Split('/'))
        {
            var segment = path[1..][range];
            if (segment.IsEmpty) return range.Start.Value == path.Length - 1 ? "path cannot have a trailing slash" : "path cannot contain empty segments";
            if (segment is "." or "..") return "path cannot contain dot segments";
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                    return "path segment characters are limited to letters, numbers, dots, dashes, and underscores";
            }
        }
        return null;
    }
}
