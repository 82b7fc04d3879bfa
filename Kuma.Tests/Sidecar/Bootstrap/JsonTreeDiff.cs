using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>The paths at which two JSON trees differ (<c>a.b[2].c</c>), each with both values.</summary>
public static class JsonTreeDiff
{
    public sealed record Difference(string Path, string Expected, string Actual)
    {
        public override string ToString() => $"{Path}: expected {Expected}, got {Actual}";
    }

    public static List<Difference> Between(JsonNode? expected, JsonNode? actual)
    {
        var differences = new List<Difference>();
        Walk("", expected, actual, differences);
        return differences;
    }

    private static void Walk(string path, JsonNode? expected, JsonNode? actual, List<Difference> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (!a.ContainsKey(key)) differences.Add(new(child, Show(e[key]), "(missing)"));
                    else if (!e.ContainsKey(key)) differences.Add(new(child, "(missing)", Show(a[key])));
                    else Walk(child, e[key], a[key], differences);
                }
                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    var child = $"{path}[{i}]";
                    if (i >= a.Count) differences.Add(new(child, Show(e[i]), "(missing)"));
                    else if (i >= e.Count) differences.Add(new(child, "(missing)", Show(a[i])));
                    else Walk(child, e[i], a[i], differences);
                }
                break;
            case (JsonValue e, JsonValue a) when SameValue(e, a):
                break;
            case (null, null):
                break;
            default:
                differences.Add(new(path, Show(expected), Show(actual)));
                break;
        }
    }

    private static bool SameValue(JsonValue expected, JsonValue actual)
    {
        if (expected.GetValueKind() != actual.GetValueKind()) return false;
        if (expected.GetValueKind() != JsonValueKind.Number) return expected.ToJsonString() == actual.ToJsonString();
        return decimal.Parse(expected.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            == decimal.Parse(actual.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
