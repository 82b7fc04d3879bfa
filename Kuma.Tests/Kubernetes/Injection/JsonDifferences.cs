using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Injection;

/// <summary>
/// The places two JSON documents differ, as sorted lines "added /path" (only in ours), "removed /path" (only in theirs)
/// and "changed /path" (different scalars): a comparison whose whole result a test can assert.
/// </summary>
internal static class JsonDifferences
{
    public static List<string> Between(JsonNode? theirs, JsonNode? ours)
    {
        var result = new List<string>();
        Walk(theirs, ours, "", result);
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private static void Walk(JsonNode? theirs, JsonNode? ours, string path, List<string> result)
    {
        switch (theirs, ours)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                {
                    var child = $"{path}/{key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";
                    if (!b.ContainsKey(key)) result.Add($"removed {child}");
                    else if (!a.ContainsKey(key)) result.Add($"added {child}");
                    else Walk(a[key], b[key], child, result);
                }
                break;
            case (JsonArray a, JsonArray b):
                for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
                {
                    if (i >= b.Count) result.Add($"removed {path}/{i}");
                    else if (i >= a.Count) result.Add($"added {path}/{i}");
                    else Walk(a[i], b[i], $"{path}/{i}", result);
                }
                break;
            default:
                if (!JsonNode.DeepEquals(theirs, ours)) result.Add($"changed {path}");
                break;
        }
    }
}
