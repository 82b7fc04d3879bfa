using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Validation;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// A modification's <c>value</c> (YAML, or JSON that YAML cannot read) as a JSON tree. Like Kuma, text that is not
/// YAML is read as JSON. Both readers hold depth and size limits, so a hostile value cannot exhaust the stack or memory.
/// </summary>
internal static class ValueYaml
{
    private const int MaxNodes = 20_000;

    /// <summary>The tree, or the reason the text is neither YAML nor JSON (Kuma's words for text cut short).</summary>
    public static (JsonNode? Node, string? Error) Read(string text)
    {
        try
        {
            return (YamlToJson.Convert(text, MaxNodes), null);
        }
        catch (YamlTreeException)
        {
            return ReadJson(text);
        }
    }

    private static (JsonNode? Node, string? Error) ReadJson(string text)
    {
        try
        {
            return (JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = YamlToJson.MaxDepth }), null);
        }
        catch (JsonException e)
        {
            // Go's JSON reader says "unexpected EOF" when the text stops inside a value, and Kuma shows that.
            var lines = text.TrimEnd().Split('\n');
            var atEnd = e.LineNumber == lines.Length - 1 && e.BytePositionInLine >= lines[^1].Length;
            return (null, atEnd ? "unexpected EOF" : e.Message);
        }
    }
}
