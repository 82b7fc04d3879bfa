using System.Globalization;
using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// RFC 6902 operations on a JSON tree, with the leniencies Kuma applies: removing a path that is not there does
/// nothing, adding below missing objects creates them, and a negative array index counts from the end.
/// </summary>
internal static class JsonPatch
{
    /// <summary>Why <paramref name="pointer"/> is not an RFC 6901 JSON pointer, or null when it is one.</summary>
    public static string? PointerProblem(string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/') return "must be empty or start with '/'";
        for (var i = 0; i < pointer.Length; i++)
        {
            if (pointer[i] == '~' && (i + 1 >= pointer.Length || pointer[i + 1] is not ('0' or '1')))
                return "'~' must be followed by '0' or '1'";
        }
        return null;
    }

    /// <summary>Applies the operations in order to <paramref name="document"/>; the reason when one fails (the document is then unusable).</summary>
    public static string? Apply(ref JsonNode document, IReadOnlyList<JsonPatchBlock> operations)
    {
        var copied = 0;
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i];
            var error = op.Path is null ? "path must be defined" : PointerProblem(op.Path) is { } p ? $"path {p}" : null;
            error ??= op.Op switch
            {
                "add" => Add(ref document, Tokens(op.Path!), op.Value?.DeepClone()),
                "remove" => Remove(document, Tokens(op.Path!), missingIsFine: true),
                "replace" => Replace(ref document, Tokens(op.Path!), op.Value?.DeepClone()),
                "move" => Move(ref document, op),
                "copy" => Copy(ref document, op, ref copied),
                "test" => Test(document, op),
                _ => $"unknown operation \"{op.Op}\"",
            };
            if (error is not null) return $"operation {i} ({op.Op} {op.Path}): {error}";
        }
        return null;
    }

    private static string? Move(ref JsonNode document, JsonPatchBlock op)
    {
        if (op.From is null || PointerProblem(op.From) is not null) return "from must be a JSON pointer";
        if (!TryGet(document, Tokens(op.From), out var value)) return $"{op.From} does not exist";
        var copy = value?.DeepClone();
        if (Remove(document, Tokens(op.From), missingIsFine: false) is { } error) return error;
        return Add(ref document, Tokens(op.Path!), copy);
    }

    /// <summary>Copies may double a document each time; more than this many copied nodes in one patch is refused.</summary>
    public const int MaxCopiedNodes = 100_000;

    private static string? Copy(ref JsonNode document, JsonPatchBlock op, ref int copied)
    {
        if (op.From is null || PointerProblem(op.From) is not null) return "from must be a JSON pointer";
        if (!TryGet(document, Tokens(op.From), out var value)) return $"{op.From} does not exist";
        copied += Count(value);
        if (copied > MaxCopiedNodes) return $"copies more than {MaxCopiedNodes} values in all";
        return Add(ref document, Tokens(op.Path!), value?.DeepClone());
    }

    private static int Count(JsonNode? node) => node switch
    {
        JsonObject obj => 1 + obj.Sum(p => Count(p.Value)),
        JsonArray array => 1 + array.Sum(Count),
        _ => 1,
    };

    private static string? Test(JsonNode document, JsonPatchBlock op)
    {
        if (!TryGet(document, Tokens(op.Path!), out var value)) return "the path does not exist";
        return JsonNode.DeepEquals(value, op.Value) ? null : "the value differs";
    }

    private static List<string> Tokens(string pointer) =>
        pointer.Length == 0 ? [] : [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static bool TryGet(JsonNode? node, List<string> tokens, out JsonNode? found)
    {
        found = node;
        foreach (var token in tokens)
        {
            switch (found)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    found = child;
                    break;
                case JsonArray array when Index(token, array.Count, forAdd: false) is { } index:
                    found = array[index];
                    break;
                default:
                    found = null;
                    return false;
            }
        }
        return true;
    }

    private static int? Index(string token, int count, bool forAdd)
    {
        if (forAdd && token == "-") return count;
        if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)) return null;
        if (index < 0) index += count;
        return index >= 0 && (forAdd ? index <= count : index < count) ? index : null;
    }

    /// <summary>The container of the last token, creating missing objects (or arrays, before an index) on the way when asked.</summary>
    private static JsonNode? Parent(JsonNode document, List<string> tokens, bool create)
    {
        var node = document;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            var token = tokens[i];
            JsonNode? next = null;
            switch (node)
            {
                case JsonObject obj:
                    if (!obj.TryGetPropertyValue(token, out next) || next is null)
                    {
                        if (!create) return null;
                        next = IsIndex(tokens[i + 1]) ? new JsonArray() : new JsonObject();
                        obj[token] = next;
                    }
                    break;
                case JsonArray array when Index(token, array.Count, forAdd: false) is { } index:
                    next = array[index];
                    break;
            }
            if (next is null) return null;
            node = next;
        }
        return node;
    }

    private static bool IsIndex(string token) => token == "-" || token.All(char.IsAsciiDigit) && token.Length > 0;

    private static string? Add(ref JsonNode document, List<string> tokens, JsonNode? value)
    {
        if (tokens.Count == 0)
        {
            if (value is null) return "the document cannot become null";
            document = value;
            return null;
        }
        switch (Parent(document, tokens, create: true))
        {
            case JsonObject obj:
                obj[tokens[^1]] = value;
                return null;
            case JsonArray array when Index(tokens[^1], array.Count, forAdd: true) is { } index:
                array.Insert(index, value);
                return null;
            case JsonArray:
                return "array index out of range";
            default:
                return "the parent does not exist";
        }
    }

    private static string? Remove(JsonNode document, List<string> tokens, bool missingIsFine)
    {
        if (tokens.Count == 0) return "the root cannot be removed";
        switch (Parent(document, tokens, create: false))
        {
            case JsonObject obj when obj.ContainsKey(tokens[^1]):
                obj.Remove(tokens[^1]);
                return null;
            case JsonArray array when Index(tokens[^1], array.Count, forAdd: false) is { } index:
                array.RemoveAt(index);
                return null;
            default:
                return missingIsFine ? null : "the path does not exist";
        }
    }

    private static string? Replace(ref JsonNode document, List<string> tokens, JsonNode? value)
    {
        if (tokens.Count == 0)
        {
            if (value is null) return "the document cannot become null";
            document = value;
            return null;
        }
        switch (Parent(document, tokens, create: false))
        {
            case JsonObject obj when obj.ContainsKey(tokens[^1]):
                obj[tokens[^1]] = value;
                return null;
            case JsonArray array when Index(tokens[^1], array.Count, forAdd: false) is { } index:
                array[index] = value;
                return null;
            default:
                return "the path does not exist";
        }
    }
}
