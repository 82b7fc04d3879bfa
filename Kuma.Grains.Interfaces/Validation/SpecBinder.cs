using System.Collections;
using System.Globalization;
using System.Numerics;
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
    /// <param name="yamlScalarsAsText">Plain YAML numbers and booleans fill string fields with their text, as Kuma reads policies.</param>
    public static T Bind<T>(JsonNode? node, FieldPath path, ValidationErrors errors, ISet<string> tainted, bool yamlScalarsAsText = false)
        where T : class, new()
    {
        if (node is null) return new T();
        var working = node.DeepClone();
        if (yamlScalarsAsText) YamlScalars.CopyMarks(node, working);
        if (!Check(working, typeof(T), path, errors, tainted)) return new T();
        try
        {
            return working.Deserialize<T>(Options) ?? new T();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Check should have caught every misfit; should one slip through, it is still the input's fault.
            errors.Add(path, $"could not be read: {e.Message}");
            tainted.Add(path);
            return new T();
        }
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
        if (type == typeof(string) && node.Parent is not null && YamlScalars.TryGetText(node, out var text))
        {
            // Only marked when the caller asked for it (the marks were copied onto this working tree).
            node.ReplaceWith(JsonValue.Create(text));
            return true;
        }
        var reason = Misfit(node, type);
        if (reason is not null)
        {
            errors.Add(path, reason);
            tainted.Add(path);
            return false;
        }
        if (IsInteger(type) && node.Parent is not null)
        {
            // 1e2 and 8080.0 fit (see IntegerMisfit); the deserializer wants plain digits.
            JsonIntegers.TryRead(node.ToJsonString(), out var integer);
            node.ReplaceWith(JsonNode.Parse(integer.ToString(CultureInfo.InvariantCulture)));
        }
        if (TryDictionaryValueType(type, out var valueType))
        {
            var map = (JsonObject)node;
            foreach (var (key, value) in map.ToList())
            {
                if (value is null && valueType == typeof(string))
                    map[key] = ""; // as protobuf and Go read a null string: empty, which the rules then judge
                else if (value is null && !AcceptsNull(valueType))
                    RejectNull(map, key, valueType, path.Key(key), errors, tainted);
                else if (!Check(value, valueType, path.Key(key), errors, tainted)) map.Remove(key);
            }
        }
        else if (TryElementType(type, out var elementType) && node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is null && !AcceptsNull(elementType)) RejectNull(array, i, elementType, path.Index(i), errors, tainted);
            }
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

    /// <summary>
    /// A null list element or map value is an error once, here, for every type. An empty stand-in keeps the
    /// other elements at their indexes, so their own errors still name the right path; whatever the rules
    /// say about the stand-in is dropped as tainted.
    /// </summary>
    private static void RejectNull<TSlot>(JsonNode container, TSlot slot, Type type, FieldPath path, ValidationErrors errors, ISet<string> tainted)
    {
        errors.Add(path, "must not be null");
        tainted.Add(path);
        var standIn = EmptyOf(Nullable.GetUnderlyingType(type) ?? type);
        if (container is JsonArray array && slot is int index) array[index] = standIn;
        else if (container is JsonObject map && slot is string key) map[key] = standIn;
    }

    private static JsonNode EmptyOf(Type type)
    {
        if (type == typeof(string)) return JsonValue.Create("");
        if (type == typeof(bool)) return JsonValue.Create(false);
        if (IsInteger(type) || IsFloatingPoint(type)) return JsonValue.Create(0);
        if (TryDictionaryValueType(type, out _)) return new JsonObject();
        if (TryElementType(type, out _)) return new JsonArray();
        return new JsonObject();
    }

    /// <summary>Only a slot for any JSON value can hold null; a free-form object cannot.</summary>
    private static bool AcceptsNull(Type type) => type == typeof(JsonNode) || type == typeof(JsonElement);

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
        if (IsFloatingPoint(type)) return kind == JsonValueKind.Number ? FloatingPointMisfit(node.ToJsonString(), type) : "must be a number";
        if (TryDictionaryValueType(type, out _)) return kind == JsonValueKind.Object ? null : "must be an object";
        if (TryElementType(type, out _)) return kind == JsonValueKind.Array ? null : "must be an array";
        return kind == JsonValueKind.Object ? null : "must be an object";
    }

    private static bool IsInteger(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(ulong) || t == typeof(short) || t == typeof(ushort);

    private static bool IsFloatingPoint(Type t) => t == typeof(double) || t == typeof(float) || t == typeof(decimal);

    /// <summary>JSON numbers have no limit; ours do (1e400 is no double).</summary>
    private static string? FloatingPointMisfit(string text, Type type)
    {
        const NumberStyles style = NumberStyles.Float;
        var fits = type == typeof(decimal)
            ? decimal.TryParse(text, style, CultureInfo.InvariantCulture, out _)
            : type == typeof(float)
                ? float.TryParse(text, style, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f)
                : double.TryParse(text, style, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);
        return fits ? null : "number is out of range";
    }

    private static string? IntegerMisfit(JsonNode node, Type type)
    {
        // The node may wrap a CLR number (from YAML) or raw JSON text; its JSON text reads the same either way.
        if (node.GetValueKind() != JsonValueKind.Number) return "must be an integer";
        var reading = JsonIntegers.TryRead(node.ToJsonString(), out var number);
        if (reading == JsonIntegers.Reading.NotInteger) return "must be an integer";
        var (min, max) = type switch
        {
            _ when type == typeof(int) => ((BigInteger)int.MinValue, (BigInteger)int.MaxValue),
            _ when type == typeof(uint) => (BigInteger.Zero, uint.MaxValue),
            _ when type == typeof(short) => (short.MinValue, short.MaxValue),
            _ when type == typeof(ushort) => (BigInteger.Zero, ushort.MaxValue),
            _ when type == typeof(ulong) => (BigInteger.Zero, ulong.MaxValue),
            _ => (long.MinValue, (BigInteger)long.MaxValue),
        };
        return reading == JsonIntegers.Reading.TooLarge || number < min || number > max ? $"must be between {min} and {max}" : null;
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
