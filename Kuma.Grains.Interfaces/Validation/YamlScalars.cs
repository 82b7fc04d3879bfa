using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Kuma.Validation;

/// <summary>
/// Remembers which numbers and booleans were plain YAML scalars, with their text. Kuma reads policy YAML
/// against the Go types, so <c>retryOn: [500]</c> fills a string field with "500"; the binder does the same
/// for nodes marked here. JSON bodies carry no marks: a JSON number stays no string, as in Kuma.
/// </summary>
public static class YamlScalars
{
    private static readonly ConditionalWeakTable<JsonNode, string> PlainText = new();

    public static void Mark(JsonNode node, string text) => PlainText.AddOrUpdate(node, text);

    public static bool TryGetText(JsonNode node, out string text)
    {
        if (PlainText.TryGetValue(node, out var found))
        {
            text = found;
            return true;
        }
        text = "";
        return false;
    }

    /// <summary>Copies the marks of <paramref name="source"/> onto <paramref name="copy"/>, a deep clone of it.</summary>
    public static void CopyMarks(JsonNode? source, JsonNode? copy)
    {
        switch (source)
        {
            case JsonObject obj when copy is JsonObject copied:
                foreach (var (key, value) in obj) CopyMarks(value, copied[key]);
                break;
            case JsonArray array when copy is JsonArray copied:
                for (var i = 0; i < array.Count; i++) CopyMarks(array[i], copied[i]);
                break;
            case JsonValue when copy is not null && TryGetText(source, out var text):
                Mark(copy, text);
                break;
        }
    }
}
