using System.Text.Json.Nodes;

namespace Kuma.Tests.Inspect;

/// <summary>
/// Checks JSON against a schema fragment ported from Kuma's OpenAPI spec: the subset those fragments use (type,
/// required, properties, items, enum, local $ref). Returns every violation with its JSON path.
/// </summary>
internal sealed class OpenApiSchema(JsonObject document)
{
    public static OpenApiSchema Load(string path) => new(JsonNode.Parse(File.ReadAllText(path))!.AsObject());

    public List<string> Violations(string schemaName, JsonNode? value)
    {
        var violations = new List<string>();
        Check(document["schemas"]![schemaName]!.AsObject(), value, "$", violations);
        return violations;
    }

    private void Check(JsonObject schema, JsonNode? value, string path, List<string> violations)
    {
        if (schema["$ref"] is JsonValue reference)
        {
            var name = reference.GetValue<string>().Split('/')[^1];
            Check(document["schemas"]![name]!.AsObject(), value, path, violations);
            return;
        }
        if (schema["type"] is JsonValue type && !HasType(value, type.GetValue<string>()))
        {
            violations.Add($"{path}: expected {type.GetValue<string>()}, got {value?.GetValueKind().ToString() ?? "null"}");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            violations.Add($"{path}: {value?.ToJsonString()} is not one of {allowed.ToJsonString()}");
        if (value is JsonObject o)
        {
            foreach (var required in schema["required"]?.AsArray() ?? [])
            {
                if (!o.ContainsKey(required!.GetValue<string>())) violations.Add($"{path}: missing {required}");
            }
            foreach (var (key, propertySchema) in schema["properties"]?.AsObject() ?? [])
            {
                if (o.TryGetPropertyValue(key, out var property)) Check(propertySchema!.AsObject(), property, $"{path}.{key}", violations);
            }
        }
        if (value is JsonArray a && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < a.Count; i++) Check(items, a[i], $"{path}[{i}]", violations);
        }
    }

    private static bool HasType(JsonNode? value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "integer" or "number" => value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        _ => throw new InvalidOperationException($"schema type {type} is not supported here"),
    };
}
