using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Manifests;

/// <summary>
/// What the API server checks of a custom resource against a CRD's structural schema, for the keywords the generator
/// writes: type, properties, additionalProperties, items, required, enum, minimum/maximum and
/// x-kubernetes-preserve-unknown-fields. A field the schema does not know counts as refused: the API server would
/// drop it silently, which loses what the user wrote. Null values are pruned by the API server, so they pass.
/// </summary>
internal static class StructuralSchema
{
    /// <returns>Every place the value does not fit, as "path: reason"; empty when it fits.</returns>
    public static List<string> Check(JsonNode? value, JsonObject schema, string path)
    {
        var misfits = new List<string>();
        Walk(value, schema, path, misfits);
        return misfits;
    }

    private static void Walk(JsonNode? value, JsonObject schema, string path, List<string> misfits)
    {
        if (value is null) return;
        var preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() ?? false;
        var type = schema["type"]?.GetValue<string>();
        if (type is null)
        {
            if (!preserveUnknown) misfits.Add($"{path}: the schema has no type and does not preserve unknown fields");
            return;
        }
        var kind = value.GetValueKind();
        var fits = type switch
        {
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "number" => kind == JsonValueKind.Number,
            "integer" => kind == JsonValueKind.Number && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d),
            "object" => kind == JsonValueKind.Object,
            "array" => kind == JsonValueKind.Array,
            _ => false,
        };
        if (!fits)
        {
            misfits.Add($"{path}: {kind} where the schema has {type}");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            misfits.Add($"{path}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        if (type == "integer")
        {
            var number = decimal.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
            if (schema["minimum"] is { } min && number < min.GetValue<long>()) misfits.Add($"{path}: {number} is below {min}");
            if (schema["maximum"] is { } max && number > max.GetValue<long>()) misfits.Add($"{path}: {number} is above {max}");
        }
        if (value is JsonArray list && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < list.Count; i++) Walk(list[i], items, $"{path}[{i}]", misfits);
        }
        if (value is JsonObject map)
        {
            var properties = schema["properties"] as JsonObject;
            var additional = schema["additionalProperties"] as JsonObject;
            foreach (var (key, child) in map)
            {
                var childPath = $"{path}.{key}";
                if (properties?[key] is JsonObject property) Walk(child, property, childPath, misfits);
                else if (additional is not null) Walk(child, additional, childPath, misfits);
                else if (!preserveUnknown) misfits.Add($"{childPath}: unknown field (the API server would drop it)");
            }
            foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
            {
                if (map[required] is null) misfits.Add($"{path}.{required}: required");
            }
        }
    }
}
