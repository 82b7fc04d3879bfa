using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.ClusterAgent.Pods;

namespace Kuma.ClusterAgent.Sync;

/// <summary>One text per meaning: object keys sorted, so what the agent wants and what the API holds compare as strings.</summary>
internal static class CanonicalJson
{
    public static string Of<T>(T value) => Sorted(JsonSerializer.SerializeToNode(value, AgentJson.Options))?.ToJsonString() ?? "null";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
