namespace Kuma.Gateway.Api;

/// <summary>
/// The query of <c>_config</c>. Kuma's own: <c>shadow</c> (a boolean) and <c>include</c> (comma-separated, only
/// <c>diff</c>), refused as Kuma refuses them. Ours: <c>format</c>, <c>kuma</c> (the default) or <c>dump</c>.
/// Kuma's shape (<c>{"xds": {typeUrl: {name: resource}}}</c>) is the default because Kuma's tools (its GUI, and kumactl
/// inspect dataplane --type config) call the path with no way to ask for a shape and read that one; our older shape
/// (<c>generation</c> and arrays of listeners, routes, clusters and endpoints) stays one parameter away for the
/// callers written for it. Kuma ignores query parameters it does not know, so <c>format</c> does not clash with it.
/// </summary>
public sealed record ConfigQuery(bool Kuma, bool Shadow, bool IncludeDiff)
{
    public static ConfigQuery Parse(IQueryCollection query)
    {
        var shadow = false;
        if (query.TryGetValue("shadow", out var shadowText) && shadowText.ToString() is { Length: > 0 } text && !TryParseBool(text, out shadow))
            throw Unsupported("shadow");

        var includeDiff = false;
        if (query.TryGetValue("include", out var includeText) && includeText.ToString() is { Length: > 0 } include)
        {
            foreach (var value in include.Split(','))
            {
                if (value != "diff") throw Unsupported("include");
                includeDiff = true;
            }
        }

        var kuma = true;
        if (query.TryGetValue("format", out var formatText) && formatText.ToString() is { Length: > 0 } format)
        {
            kuma = format switch
            {
                "kuma" => true,
                "dump" => false,
                _ => throw Unsupported("format"),
            };
        }
        return new ConfigQuery(kuma, shadow, includeDiff);
    }

    private static ApiException Unsupported(string parameter) => ApiException.BadRequest($"bad request: unsupported value for query parameter '{parameter}'");

    /// <summary>The spellings Kuma's server accepts for a boolean (Go's strconv.ParseBool).</summary>
    private static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
