using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// A modification's <c>value</c> (YAML, or JSON that YAML cannot read) as a JSON tree. Like Kuma, text that is not
/// YAML is read as JSON. The tree is built from parser events with depth and size limits, so a hostile value
/// cannot exhaust the stack or memory.
/// </summary>
internal static class ValueYaml
{
    private const int MaxDepth = 64;
    private const int MaxNodes = 20_000;

    /// <summary>The tree, or the reason the text is neither YAML nor JSON (Kuma's words for text cut short).</summary>
    public static (JsonNode? Node, string? Error) Read(string text)
    {
        try
        {
            return (Convert(text), null);
        }
        catch (Exception e) when (e is YamlException or ArgumentException or FormatException)
        {
            return ReadJson(text);
        }
    }

    private static (JsonNode? Node, string? Error) ReadJson(string text)
    {
        try
        {
            return (JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }), null);
        }
        catch (JsonException e)
        {
            // Go's JSON reader says "unexpected EOF" when the text stops inside a value, and Kuma shows that.
            var lines = text.TrimEnd().Split('\n');
            var atEnd = e.LineNumber == lines.Length - 1 && e.BytePositionInLine >= lines[^1].Length;
            return (null, atEnd ? "unexpected EOF" : e.Message);
        }
    }

    private static JsonNode? Convert(string text)
    {
        var parser = new Parser(new StringReader(text));
        var open = new Stack<(JsonNode Container, string? Key)>();
        JsonNode? root = null;
        var nodes = 0;
        string? pendingKey = null;
        void Place(JsonNode? node)
        {
            if (++nodes > MaxNodes) throw new FormatException($"more than {MaxNodes} nodes");
            if (open.Count == 0)
            {
                root = node;
                return;
            }
            var (container, _) = open.Peek();
            if (container is JsonArray array) array.Add(node);
            else
            {
                var obj = (JsonObject)container;
                if (pendingKey is null) throw new FormatException("mapping keys must be plain strings");
                if (obj.ContainsKey(pendingKey)) throw new FormatException($"duplicate key '{pendingKey}'");
                obj[pendingKey] = node;
                pendingKey = null;
            }
        }
        var keys = new Stack<string?>();
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (open.Count >= MaxDepth) throw new FormatException($"nested deeper than {MaxDepth} levels");
                    if (open.Count > 0 && open.Peek().Container is JsonObject && pendingKey is null)
                        throw new FormatException("mapping keys must be plain strings");
                    JsonNode container = parser.Current is MappingStart ? new JsonObject() : new JsonArray();
                    keys.Push(pendingKey);
                    pendingKey = null;
                    open.Push((container, null));
                    break;
                case MappingEnd or SequenceEnd:
                    var (done, _) = open.Pop();
                    pendingKey = keys.Pop();
                    Place(done);
                    break;
                case Scalar scalar:
                    if (open.Count > 0 && open.Peek().Container is JsonObject && pendingKey is null)
                    {
                        pendingKey = scalar.Value;
                        break;
                    }
                    Place(ScalarValue(scalar));
                    break;
                case AnchorAlias:
                    throw new FormatException("aliases are not supported in Envoy values");
            }
        }
        return root;
    }

    /// <summary>Plain scalars as YAML reads them (numbers, booleans, null); quoted ones stay strings.</summary>
    private static JsonValue? ScalarValue(Scalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any)) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            && value.Any(char.IsAsciiDigit))
            return JsonValue.Create(number);
        return JsonValue.Create(value);
    }
}
