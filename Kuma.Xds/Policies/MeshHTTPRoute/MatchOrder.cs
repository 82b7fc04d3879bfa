using System.Text;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>
/// Kuma's precedence between route matches (after Gateway API's): a path before none; an exact path before a
/// prefix before a regular expression; a longer prefix or expression first; then a method before none; then
/// more header matches first; then more query matches first. Used with a stable sort, so ties keep rule order.
/// </summary>
internal sealed class MatchOrder : IComparer<HttpRouteMatch>
{
    public static readonly MatchOrder Instance = new();

    private static readonly string[] PathTypes = ["Exact", "PathPrefix", "RegularExpression"];

    public int Compare(HttpRouteMatch? a, HttpRouteMatch? b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var byPath = ComparePath(a.Path, b.Path);
        if (byPath != 0) return byPath;
        var byMethod = (a.Method is null).CompareTo(b.Method is null);
        if (byMethod != 0) return byMethod;
        var byHeaders = (b.Headers?.Count ?? 0).CompareTo(a.Headers?.Count ?? 0);
        if (byHeaders != 0) return byHeaders;
        return (b.QueryParams?.Count ?? 0).CompareTo(a.QueryParams?.Count ?? 0);
    }

    private static int ComparePath(HttpPathMatch? a, HttpPathMatch? b)
    {
        if (a is null || b is null) return (a is null).CompareTo(b is null);
        if (a.Type == b.Type)
        {
            // Kuma compares lengths in bytes of UTF-8.
            return a.Type == "Exact" ? 0 : Encoding.UTF8.GetByteCount(b.Value ?? "").CompareTo(Encoding.UTF8.GetByteCount(a.Value ?? ""));
        }
        return Rank(a.Type).CompareTo(Rank(b.Type));
    }

    private static int Rank(string? type) => Array.IndexOf(PathTypes, type) is var i and >= 0 ? i : PathTypes.Length;
}
