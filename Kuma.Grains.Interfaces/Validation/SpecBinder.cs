using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Kuma.Validation;

/// <summary>
/// Turns untrusted JSON into a typed spec. Unlike a plain deserializer, it walks the whole document
/// first and reports every wrong type and unknown field with its path, instead of stopping at the first.
/// </summary>
public static class SpecBinder
{
    public static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Checks <paramref name="node"/> against <typeparamref name="T"/>, reporting every misfit, and returns
    /// what remains once misfits are cut away, so the caller can still validate the rest. Paths under
    /// <paramref name="tainted"/> were cut and should not be judged again.
    /// </summary>
    public static T Bind<T>(JsonNode? node, FieldPath path, ValidationErrors errors, ISet<string> tainted) where T : class, new()
    {
        if (node is null) return new T();
        var working = node.DeepClone();
        if (!Check(working, typeof(T), path, errors, tainted)) return new T();
        return working.Deserialize<T>(Options) ?? new T();
    }

    /// <summary>True when <paramref name="field"/> lies at or under one of the <paramref name="tainted"/> paths.</summary>
    public static bool IsUnder(string field, ISet<string> tainted)
    {
        foreach (var t in tainted)
        {
            if (t.StartsWith('=')) // only that node itself: its content was cut, what it holds is still judged
            {
                if (field.AsSpan().SequenceEqual(t.AsSpan(1))) return true;
                continue;
            }
            if (t.Length == 0) return true;
            if (field.StartsWith(t, StringComparison.Ordinal) && (field.Length == t.Length || field[t.Length] is '.' or '[')) return true;
        }
        return false;
    }

    public static string ToCanonicalJson<T>(T spec) => JsonSerializer.Serialize(spec, Options);

    public static T FromCanonicalJson<T>(string json) where T : class, new() =>
        JsonSerializer.Deserialize<T>(json, Options) ?? new T();

    /// <summary>False when the node does not fit the type; the error is reported and the caller cuts the node away.</summary>
    private static bool Check(JsonNode? node, Type type, FieldPath path, ValidationErrors errors, ISet<string> tainted)
    {
        if (node is null)
        {
            return true; // explicit null means "not set"
        }
        type = Nullable.GetUnderlyingType(type) ?? type;
        var reason = Misfit(node, type);
        if (reason is not null)
        {
            errors.Add(path, reason);
            tainted.Add(path);
            return false;
        }
        if (TryDictionaryValueType(type, out var valueType))
        {
            var map = (JsonObject)node;
            foreach (var (key, value) in map.ToList())
            {
                if (!Check(value, valueType, path.Key(key), errors, tainted)) map.Remove(key);
            }
        }
        else if (TryElementType(type, out var elementType) && node is JsonArray array)
        {
            for (var i = array.Count - 1; i >= 0; i--)
            {
                if (Check(array[i], elementType, path.Index(i), errors, tainted)) continue;
                array.RemoveAt(i);
                tainted.Add(path); // later items moved: their paths no longer match the body
            }
        }
        else if (node is JsonObject obj && !IsFreeForm(type))
        {
            var properties = Options.GetTypeInfo(type).Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
            foreach (var (key, value) in obj.ToList())
            {
                if (!properties.TryGetValue(key, out var property))
                {
                    errors.Add(path.Field(key), "unknown field");
                    obj.Remove(key);
                }
                else if (!Check(value, property.PropertyType, path.Field(key), errors, tainted))
                {
                    obj.Remove(key);
                    tainted.Add("=" + path);
                }
            }
        }
        return true;
    }

    private static bool IsFreeForm(Type type) => type == typeof(JsonNode) || type == typeof(JsonElement) || type == typeof(JsonObject);

    /// <summary>Why a node cannot be read as the type, or null when it can (its children are checked separately).</summary>
    private static string? Misfit(JsonNode node, Type type)
    {
        var kind = node.GetValueKind();
        if (type == typeof(JsonNode) || type == typeof(JsonElement)) return null;
        if (type == typeof(JsonObject)) return kind == JsonValueKind.Object ? null : "must be an object";
        if (type == typeof(string)) return kind == JsonValueKind.String ? null : "must be a string";
        if (type == typeof(bool)) return kind is JsonValueKind.True or JsonValueKind.False ? null : "must be a boolean";
        if (IsInteger(type)) return IntegerMisfit(node, type);
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return kind == JsonValueKind.Number ? null : "must be a number";
        if (TryDictionaryValueType(type, out _)) return kind == JsonValueKind.Object ? null : "must be an object";
        if (TryElementType(type, out _)) return kind == JsonValueKind.Array ? null : "must be an array";
        return kind == JsonValueKind.Object ? null : "must be an object";
    }

    private static bool IsInteger(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(ulong) || t == typeof(short) || t == typeof(ushort);

    private static string? IntegerMisfit(JsonNode node, Type type)
    {
        // The node may wrap a CLR number (from YAML) or raw JSON text; its JSON text reads the same either way.
        if (node.GetValueKind() != JsonValueKind.Number
            || !decimal.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || number != decimal.Truncate(number))
        {
            return "must be an integer";
        }
        var (min, max) = type switch
        {
            _ when type == typeof(int) => ((decimal)int.MinValue, (decimal)int.MaxValue),
            _ when type == typeof(uint) => (0m, uint.MaxValue),
            _ when type == typeof(short) => (short.MinValue, short.MaxValue),
            _ when type == typeof(ushort) => (0m, ushort.MaxValue),
            _ when type == typeof(ulong) => (0m, ulong.MaxValue),
            _ => (long.MinValue, (decimal)long.MaxValue),
        };
        return number < min || number > max ? $"must be between {min} and {max}" : null;
    }

    private static bool TryDictionaryValueType(Type type, out Type valueType)
    {
        foreach (var i in type.GetInterfaces().Append(type))
        {
            if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            {
                valueType = i.GetGenericArguments()[1];
                return true;
            }
        }
        valueType = typeof(object);
        return false;
    }

    private static bool TryElementType(Type type, out Type elementType)
    {
        if (type.IsArray)
        {
            elementType = type.GetElementType()!;
            return true;
        }
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            foreach (var i in type.GetInterfaces().Append(type))
            {
                if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                {
                    elementType = i.GetGenericArguments()[0];
                    return true;
                }
            }
        }
        elementType = typeof(object);
        return false;
    }
}
