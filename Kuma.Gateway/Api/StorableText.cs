using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>
/// Finds text no store can keep: a NUL character (PostgreSQL text and jsonb refuse it) and an unpaired UTF-16
/// surrogate (JSON allows the escape <c>\ud800</c>, yet it is no character, so reading it throws). Checked once
/// on the whole parsed body, so no later reader meets either.
/// </summary>
public static class StorableText
{
    public static void RequireIn(JsonNode? body)
    {
        var errors = new ValidationErrors();
        Walk(body, FieldPath.Root, errors);
        if (!errors.IsEmpty) throw ApiException.BadRequest("request body holds text that cannot be stored", errors.ToImmutable());
    }

    /// <summary>Why <paramref name="text"/> cannot be stored, or null.</summary>
    public static string? Problem(string text)
    {
        if (text.Contains('\0')) return "must not contain a NUL character (\\u0000)";
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return UnpairedSurrogate;
        }
        return null;
    }

    public const string UnpairedSurrogate = "must not contain an unpaired UTF-16 surrogate";

    private static void Walk(JsonNode? node, FieldPath path, ValidationErrors errors)
    {
        switch (node)
        {
            case JsonObject obj:
                List<KeyValuePair<string, JsonNode?>> members;
                try
                {
                    members = [.. obj];
                }
                catch (InvalidOperationException)
                {
                    // JSON's parser reads every name already (RequestBody answers that); this guards other sources.
                    errors.Add(path, "holds a field name with an unpaired UTF-16 surrogate");
                    return;
                }
                foreach (var (key, value) in members)
                {
                    var child = IsMap(path) ? path.Key(key) : path.Field(key);
                    if (Problem(key) is { } keyProblem) errors.Add(child, "field name " + keyProblem);
                    else Walk(value, child, errors);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Walk(array[i], path.Index(i), errors);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    errors.Add(path, UnpairedSurrogate);
                    return;
                }
                if (Problem(text) is { } problem) errors.Add(path, problem);
                break;
        }
    }

    /// <summary>Without the schema, labels and tags are the maps whose keys Kuma prints as <c>["key"]</c>.</summary>
    private static bool IsMap(FieldPath path) =>
        path.Value.EndsWith("labels", StringComparison.Ordinal) || path.Value.EndsWith("tags", StringComparison.OrdinalIgnoreCase);
}
