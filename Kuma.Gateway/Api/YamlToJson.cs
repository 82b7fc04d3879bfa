using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kuma.Gateway.Api;

/// <summary>
/// YAML bodies (as kumactl and people write them) into the same tree JSON bodies produce. Plain scalars
/// get YAML 1.2 core types; quoted scalars stay strings. Alias expansion is bounded.
/// </summary>
public static partial class YamlToJson
{
    private const int MaxNodes = 100_000;

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\z")]
    private static partial Regex JsonNumber();

    public static JsonNode? Convert(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest($"could not parse the body as YAML: {e.Message}");
        }
        if (stream.Documents.Count != 1) throw ApiException.BadRequest("request body must hold exactly one YAML document");
        var budget = MaxNodes;
        return ToJson(stream.Documents[0].RootNode, ref budget, 0);
    }

    private static JsonNode? ToJson(YamlNode node, ref int budget, int depth)
    {
        if (--budget < 0 || depth > 64) throw ApiException.BadRequest("YAML body is too deeply nested or expands to too many nodes");
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                        throw ApiException.BadRequest("YAML mapping keys must be plain strings");
                    if (obj.ContainsKey(name)) throw ApiException.BadRequest($"duplicate key '{name}' in YAML body");
                    obj[name] = ToJson(value, ref budget, depth + 1);
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var item in seq.Children) array.Add(ToJson(item, ref budget, depth + 1));
                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw ApiException.BadRequest("unsupported YAML node");
        }
    }

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
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
        if (Integer().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        // A number JSON can spell keeps its exact text, so YAML and JSON bodies are judged alike (1e400 included).
        if (JsonNumber().IsMatch(value)) return JsonNode.Parse(value)!.AsValue();
        if (Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return double.IsFinite(d) ? JsonValue.Create(d) : throw ApiException.BadRequest($"YAML number {value} is out of range");
        return JsonValue.Create(value);
    }
}
