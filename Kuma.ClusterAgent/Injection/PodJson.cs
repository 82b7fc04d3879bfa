using System.Text.Json.Nodes;

namespace Kuma.ClusterAgent.Injection;

/// <summary>Reading a Pod kept as JSON: the webhook patches the object it was given, so fields it does not know survive.</summary>
internal static class PodJson
{
    public static Dictionary<string, string> StringMap(JsonObject pod, string metadataField)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pod["metadata"]?[metadataField] is JsonObject values)
        {
            foreach (var (key, value) in values)
            {
                if (value is JsonValue text && text.TryGetValue<string>(out var s)) map[key] = s;
                else throw new InjectionRefusedException($"metadata.{metadataField}.{key} is not a string");
            }
        }
        return map;
    }

    /// <summary>The pod's array field (containers, initContainers, volumes), empty when absent; anything but an array of objects is refused.</summary>
    public static List<JsonObject> Objects(JsonObject pod, string specField)
    {
        var node = pod["spec"]?[specField];
        if (node is null) return [];
        if (node is not JsonArray array) throw new InjectionRefusedException($"spec.{specField} is not an array");
        var result = new List<JsonObject>(array.Count);
        foreach (var item in array)
            result.Add(item as JsonObject ?? throw new InjectionRefusedException($"spec.{specField} holds a non-object"));
        return result;
    }

    public static string? Name(JsonObject container) =>
        container["name"] is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;

    /// <summary>An RFC 6902 "add", which replaces an existing member: the webhook writes whole fields, not element diffs.</summary>
    public static JsonObject Add(string path, JsonNode value) => new() { ["op"] = "add", ["path"] = path, ["value"] = value };

    public static JsonArray ArrayOf(IEnumerable<JsonObject> items) => new([.. items.Select(i => (JsonNode)i.DeepClone())]);

    public static JsonObject MapOf(IReadOnlyDictionary<string, string> map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal)) result[key] = value;
        return result;
    }
}
