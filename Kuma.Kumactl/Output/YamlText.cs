using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kuma.Kumactl.Output;

/// <summary>
/// A JSON tree as block YAML in the style kumactl prints: keys sorted, lists at their key's indentation, and a
/// string quoted only where a YAML reader would take it for something else.
/// </summary>
public static partial class YamlText
{
    /// <param name="firstKeys">Top-level keys written first (each group sorted), as kumactl prints a resource's metadata before its spec.</param>
    public static string Write(JsonNode? node, IReadOnlySet<string>? firstKeys = null)
    {
        var sb = new StringBuilder();
        if (node is JsonObject { Count: 0 } or JsonArray { Count: 0 } or null || node is JsonValue)
        {
            sb.Append(Inline(node)).Append('\n');
            return sb.ToString();
        }
        WriteBlock(sb, node, 0, firstKeys);
        return sb.ToString();
    }

    private static void WriteBlock(StringBuilder sb, JsonNode node, int indent, IReadOnlySet<string>? firstKeys = null)
    {
        if (node is JsonObject map)
        {
            var keys = map.Select(p => p.Key)
                .OrderBy(k => firstKeys is null || firstKeys.Contains(k) ? 0 : 1)
                .ThenBy(k => k, StringComparer.Ordinal);
            foreach (var key in keys) WriteEntry(sb, Scalar(key), map[key], indent);
        }
        else if (node is JsonArray list)
        {
            foreach (var item in list)
            {
                sb.Append(' ', indent).Append("- ");
                if (item is JsonObject { Count: > 0 } itemMap)
                {
                    // The first entry shares the dash's line; the rest align under it.
                    var inner = new StringBuilder();
                    WriteBlock(inner, itemMap, indent + 2);
                    sb.Append(inner.ToString(indent + 2, inner.Length - indent - 2));
                }
                else if (item is JsonArray { Count: > 0 } nested)
                {
                    sb.Append('\n');
                    WriteBlock(sb, nested, indent + 2);
                }
                else sb.Append(Inline(item)).Append('\n');
            }
        }
    }

    private static void WriteEntry(StringBuilder sb, string key, JsonNode? value, int indent)
    {
        sb.Append(' ', indent).Append(key).Append(':');
        switch (value)
        {
            case JsonObject { Count: > 0 } map:
                sb.Append('\n');
                WriteBlock(sb, map, indent + 2);
                break;
            case JsonArray { Count: > 0 } list:
                sb.Append('\n');
                WriteBlock(sb, list, indent);
                break;
            default:
                sb.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
        _ => node.ToJsonString(),
    };

    /// <summary>A string as a plain scalar when it reads back as the same string, otherwise double-quoted.</summary>
    public static string Scalar(string text) => NeedsQuotes(text) ? Quote(text) : text;

    private static bool NeedsQuotes(string text) =>
        text.Length == 0
        || text != text.Trim()
        || "-?:,[]{}#&*!|>'\"%@`~".Contains(text[0])
        || text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal) || text.EndsWith(':')
        || text.Any(c => char.IsControl(c))
        || ReadsAsOtherType().IsMatch(text)
        || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    [GeneratedRegex(@"^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+|\d{4}-\d\d?-\d\d?(?:[Tt ].*)?)$")]
    private static partial Regex ReadsAsOtherType();

    private static string Quote(string text) => JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
