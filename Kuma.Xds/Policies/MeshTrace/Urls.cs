using System.Text.RegularExpressions;

namespace Kuma.Policies.MeshTrace;

/// <summary>
/// A URL split the way Go's <c>net/url</c> splits one, which is what Kuma's messages about tracing URLs speak of
/// (scheme, opaque part, user, host, port, path, query). <see cref="Parse"/> reads it as a request URI: absolute,
/// or an absolute path; the fragment is not split off.
/// </summary>
internal sealed record RequestUri(string Scheme, string Opaque, bool HasUser, string Host, string Port, string Path, string Query)
{
    /// <summary>The URI's parts, or null where Go's <c>url.ParseRequestURI</c> fails.</summary>
    public static RequestUri? Parse(string raw) => Split(raw, requestOnly: true);

    /// <summary>The same split for any reference (relative paths allowed, the fragment cut off), as <c>url.Parse</c>.</summary>
    public static RequestUri? ParseReference(string raw)
    {
        var hash = raw.IndexOf('#');
        return Split(hash < 0 ? raw : raw[..hash], requestOnly: false);
    }

    private static RequestUri? Split(string raw, bool requestOnly)
    {
        if (raw.Any(c => c < 0x20 || c == 0x7f)) return null;
        if (raw.Length == 0) return requestOnly ? null : new RequestUri("", "", false, "", "", "", "");
        var (scheme, rest) = SchemeOf(raw);
        if (scheme is null) return null;
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        if (!rest.StartsWith('/'))
        {
            if (scheme.Length > 0) return new RequestUri(scheme, rest, false, "", "", "", query);
            if (requestOnly) return null;
            // A relative reference must not look like a scheme: a colon before the first slash.
            var colon = rest.IndexOf(':');
            if (colon >= 0 && (rest.IndexOf('/') is var slash && (slash < 0 || colon < slash))) return null;
            return new RequestUri("", "", false, "", "", rest, query);
        }
        if ((scheme.Length > 0 || !requestOnly) && rest.StartsWith("//", StringComparison.Ordinal))
        {
            var authorityEnd = rest.IndexOf('/', 2);
            var authority = authorityEnd < 0 ? rest[2..] : rest[2..authorityEnd];
            rest = authorityEnd < 0 ? "" : rest[authorityEnd..];
            var at = authority.LastIndexOf('@');
            var hostPort = at < 0 ? authority : authority[(at + 1)..];
            if (SplitHost(hostPort) is not { } split) return null;
            return new RequestUri(scheme, "", at >= 0, split.Host, split.Port, rest, query);
        }
        return new RequestUri(scheme, "", false, "", "", rest, query);
    }

    /// <summary>The scheme (lower case, empty when none) and the rest; a null scheme when the text starts with a colon.</summary>
    private static (string? Scheme, string Remainder) SchemeOf(string raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (char.IsAsciiLetter(c)) continue;
            if (char.IsAsciiDigit(c) || c is '+' or '-' or '.')
            {
                if (i == 0) return ("", raw);
                continue;
            }
            if (c == ':') return i == 0 ? (null, raw) : (raw[..i].ToLowerInvariant(), raw[(i + 1)..]);
            return ("", raw);
        }
        return ("", raw);
    }

    /// <summary>Host and port; null when the port holds anything but digits or the host has characters a host cannot have.</summary>
    private static (string Host, string Port)? SplitHost(string hostPort)
    {
        string host, port;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0) return null;
            host = hostPort[..(close + 1)];
            var after = hostPort[(close + 1)..];
            if (after.Length > 0 && !after.StartsWith(':')) return null;
            port = after.Length > 0 ? after[1..] : "";
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            port = colon < 0 ? "" : hostPort[(colon + 1)..];
            if (host.Any(c => c < 0x80 && !(char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=%".Contains(c)))) return null;
        }
        return port.All(char.IsAsciiDigit) ? (host, port) : null;
    }
}

/// <summary>
/// Kuma's check of a Zipkin collector URL (govalidator's <c>IsURL</c>), in our own terms: an optional web or socket
/// scheme, optional user info, a host name, IPv4 or bracketed IPv6 address, an optional port of up to five digits,
/// then anything without spaces. Text with a colon but no <c>://</c> is read as if <c>http://</c> preceded it.
/// </summary>
internal static partial class LooseUrl
{
    public static bool IsUrl(string text)
    {
        if (text.Length is <= 3 or >= 2083 || text.StartsWith('.')) return false;
        var readable = text.Contains(':', StringComparison.Ordinal) && !text.Contains("://", StringComparison.Ordinal) ? "http://" + text : text;
        if (RequestUri.ParseReference(readable) is not { } uri || uri.Host.StartsWith('.')) return false;
        if (uri.Host.Length == 0 && uri.Path.Length > 0 && !uri.Path.Contains('.', StringComparison.Ordinal)) return false;
        return Shape().IsMatch(text);
    }

    [GeneratedRegex(@"^((ftp|tcp|udp|wss?|https?)://)?(\S+(:\S*)?@)?(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[\p{L}\p{N}_]([\p{L}\p{N}_-]*[\p{L}\p{N}_])?(\.[\p{L}\p{N}_]([\p{L}\p{N}_-]*[\p{L}\p{N}_])?)*)\.?(:\d{1,5})?([/?#]\S*)?$")]
    private static partial Regex Shape();
}
