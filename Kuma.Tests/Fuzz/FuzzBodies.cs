using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Fuzz;

/// <summary>A request body as bytes (it may be invalid UTF-8) and the Content-Type sent with it, if any.</summary>
public sealed record FuzzBody(byte[] Bytes, string? ContentType)
{
    public static readonly FuzzBody None = new([], null);

    /// <summary>Readable and replayable: text as a C# literal, or base64 when the bytes are not UTF-8.</summary>
    public string Describe(int max = 1_500)
    {
        if (Bytes.Length == 0) return "(none)";
        string shown;
        try
        {
            shown = Literal(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes), max);
        }
        catch (DecoderFallbackException)
        {
            var b64 = Convert.ToBase64String(Bytes);
            shown = "base64:" + (b64.Length > max ? b64[..max] + "…" : b64);
        }
        return $"{Bytes.Length} bytes, Content-Type {ContentType ?? "(none)"}: {shown}";
    }

    public static string Literal(string text, int max = 1_500)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c < 0x20 || char.IsSurrogate(c) || c > 0x7E => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        sb.Append('"');
        if (text.Length > max) sb.Append(CultureInfo.InvariantCulture, $"…(+{text.Length - max} chars)");
        return sb.ToString();
    }
}

/// <summary>
/// Mutations of valid Kuma bodies. The tree is changed as a <see cref="JsonNode"/>, then written as JSON
/// or YAML; what a tree cannot hold (lone surrogates, 1e400, nesting beyond a writer's depth, duplicate
/// keys) goes in as a marker string that is replaced by raw text after writing.
/// </summary>
public sealed class FuzzBodies(FuzzInputs input)
{
    private const string MarkerPrefix = "\u0001fuzz";
    private readonly List<(string Json, string Yaml)> _raw = [];

    private Random Random => input.Random;

    /// <summary>Raw fragments as (JSON text, YAML text): numbers and strings a tree cannot carry as such.</summary>
    private static readonly (string Json, string Yaml)[] RawScalars =
    [
        ("1e400", "1e400"), ("-1e400", "-1e400"), ("1e-400", "1e-400"), ("-0", "-0"), ("1.0", "1.0"), ("-0.0", "-0.0"),
        ("123456789012345678901234567890", "123456789012345678901234567890"), ("18446744073709551616", "18446744073709551616"),
        ("9223372036854775808", "9223372036854775808"), ("-9223372036854775809", "-9223372036854775809"), ("2147483648", "2147483648"),
        ("4294967296", "4294967296"), ("0.1e1", "0.1e1"), ("1E+2", "1E+2"), ("NaN", ".nan"), ("Infinity", ".inf"), ("-Infinity", "-.inf"),
        ("0x10", "0x10"), ("01", "0o17"), (".5", ".5"), ("1.", "1."),
        ("\"\\ud800\"", "\"\\ud800\""), ("\"\\udc00\\ud800\"", "\"\\udfff\""), ("\"\\u0000\"", "\"\\0\""), ("\"a\\u0000b\"", "\"a\\x00b\""),
        ("\"\\uFFFF\"", "\"\\uFFFF\""), ("\"10\\u0000ms\"", "\"10\\0ms\""), ("\"5s\\u0000\"", "\"5s\\0\""),
        ("[null]", "[~]"), ("[null,null]", "[null, null]"), ("{\"a\":null}", "{a: ~}"), ("[1,null,\"x\",{}]", "[1, ~, x, {}]"),
        ("{\"a\":1,\"a\":2}", "{a: 1, a: 2}"), ("[]", "[]"), ("{}", "{}"), ("\"\"", "''"),
        ("true", "yes"), ("false", "off"), ("null", "~"),
    ];

    public FuzzBody Mutate(string validJson)
    {
        _raw.Clear();
        var tree = JsonNode.Parse(validJson);
        if (input.Chance(0.85))
        {
            for (var n = input.Between(1, 3); n > 0; n--) tree = MutateTree(tree);
        }
        var yaml = input.Chance(0.35);
        var text = yaml ? ToYaml(tree) : ToJson(tree);
        if (yaml && input.Chance(0.2)) text = YamlTwist(text);
        if (!yaml && input.Chance(0.1)) text = DuplicateKey(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (input.Chance(0.2)) bytes = MutateBytes(bytes);
        return new FuzzBody(bytes, ContentType(yaml));
    }

    /// <summary>A body with no valid ancestor: empty, scalars, garbage bytes, huge.</summary>
    public FuzzBody Junk()
    {
        var json = input.Chance(0.5);
        byte[] bytes = Random.Next(12) switch
        {
            0 => [],
            1 => "null"u8.ToArray(),
            2 => "[]"u8.ToArray(),
            3 => "\"text\""u8.ToArray(),
            4 => "123"u8.ToArray(),
            5 => input.Bytes(input.Between(1, 512)),
            6 => Encoding.UTF8.GetBytes(Deep(input.Between(60, 200), input.Chance(0.5), yaml: !json)),
            7 => Encoding.UTF8.GetBytes("{\"type\":\"Mesh\",\"name\":\"" + new string('x', input.Pick(100_000, 1_100_000)) + "\"}"),
            8 => "{"u8.ToArray(),
            9 => "\uFEFF{}"u8.ToArray(),
            10 => "--- !!binary aGVsbG8=\n"u8.ToArray(),
            _ => Encoding.UTF8.GetBytes(input.OddText()),
        };
        return new FuzzBody(bytes, ContentType(!json));
    }

    private string ContentType(bool yaml) => Random.Next(10) switch
    {
        < 6 => yaml ? "application/yaml" : "application/json",
        6 => yaml ? "application/json" : "application/yaml",
        7 => input.Pick("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/json; charset=\u00ff"),
        8 => input.Pick("garbage", ";;;", "application/", "*/*", "yaml/json"),
        _ => null!,
    };

    private JsonNode? MutateTree(JsonNode? root)
    {
        var nodes = new List<JsonNode?>();
        Collect(root, nodes);
        var target = input.PickFrom(nodes);
        switch (Random.Next(11))
        {
            case 0 or 1:
                return Replace(root, target, Scalar());
            case 2:
                return Replace(root, target, SwapType(target));
            case 3 when target is JsonObject obj && obj.Count > 0:
                obj.Remove(obj.ElementAt(Random.Next(obj.Count)).Key);
                return root;
            case 4 when target is JsonObject obj:
                var key = input.Chance(0.5) ? input.OddText() : input.Pick("extra", "spec", "name", "type", "mesh", "labels", "default", "to", "from");
                obj[key] = Scalar();
                return root;
            case 5 when target is JsonArray array:
                array.Insert(Random.Next(array.Count + 1), null);
                return root;
            case 6 when target is JsonObject obj && obj.Count > 0:
                obj[obj.ElementAt(Random.Next(obj.Count)).Key] = null;
                return root;
            case 7:
                return Replace(root, target, Marker(Deep(input.Between(2, 200), input.Chance(0.5), yaml: false), Deep(input.Between(2, 200), input.Chance(0.5), yaml: true)));
            case 8 when target is JsonArray array && array.Count > 0:
                var copy = array[Random.Next(array.Count)];
                for (var i = input.Pick(10, 100, 2_000); i > 0; i--) array.Add(copy?.DeepClone());
                return root;
            case 9:
                return Replace(root, target, JsonValue.Create(new string(input.Pick('a', '9', ' '), input.Pick(1_000, 100_000))));
            default:
                return Replace(root, target, Marker(input.PickFrom(RawScalars)));
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode?> into)
    {
        into.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) if (child is not null) Collect(child, into);
                break;
            case JsonArray array:
                foreach (var child in array) if (child is not null) Collect(child, into);
                break;
        }
    }

    private static JsonNode? Replace(JsonNode? root, JsonNode? target, JsonNode? replacement)
    {
        if (target is null || target.Parent is null) return replacement;
        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = replacement;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = replacement;
                break;
        }
        return root;
    }

    private JsonNode? Scalar() => Random.Next(8) switch
    {
        0 => null,
        1 => JsonValue.Create(input.OddText()),
        2 => JsonValue.Create(input.Pick(0, -1, 1, int.MaxValue, long.MaxValue, long.MinValue)),
        3 => JsonValue.Create(input.Pick(0.5, -0.0, 1e308, double.Epsilon)),
        4 => JsonValue.Create(input.Chance(0.5)),
        5 => new JsonArray(null, JsonValue.Create(1), null),
        6 => new JsonObject { ["k"] = null, [""] = JsonValue.Create("v") },
        _ => JsonValue.Create(input.Pick("5s", "-1s", "0s", "1h", "99999999999h", "1e400s", "Mesh", "MeshService", "Allow", "10.0.0.1", "::1", "999.1.1.1")),
    };

    private JsonNode? SwapType(JsonNode? node) => node switch
    {
        null => new JsonObject(),
        JsonObject obj => new JsonArray(obj.Select(p => p.Value?.DeepClone()).ToArray()),
        JsonArray array => new JsonObject(array.Select((v, i) => KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), v?.DeepClone()))),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => input.Chance(0.5) ? JsonValue.Create(42) : new JsonArray(JsonValue.Create(value.GetValue<string>())),
        var value => JsonValue.Create(value.ToJsonString()),
    };

    private JsonValue Marker((string Json, string Yaml) raw) => Marker(raw.Json, raw.Yaml);

    private JsonValue Marker(string json, string yaml)
    {
        _raw.Add((json, yaml));
        return JsonValue.Create($"{MarkerPrefix}{_raw.Count - 1}");
    }

    private static string Deep(int depth, bool arrays, bool yaml)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++) sb.Append(arrays ? "[" : yaml ? "{a: " : "{\"a\":");
        sb.Append('1');
        sb.Append(arrays ? ']' : '}', depth);
        return sb.ToString();
    }

    private string ToJson(JsonNode? tree) => Unmark(tree?.ToJsonString() ?? "null", yaml: false);

    private string Unmark(string text, bool yaml)
    {
        for (var i = _raw.Count - 1; i >= 0; i--)
            text = text.Replace($"\"\\u0001fuzz{i}\"", yaml ? _raw[i].Yaml : _raw[i].Json, StringComparison.Ordinal);
        return text;
    }

    /// <summary>Block-style YAML, as people write it; scalars as JSON literals, which YAML reads the same.</summary>
    private string ToYaml(JsonNode? tree)
    {
        var sb = new StringBuilder();
        if (tree is JsonObject or JsonArray) WriteYaml(tree, 0, sb);
        else sb.Append(tree?.ToJsonString() ?? "null").Append('\n');
        return Unmark(sb.ToString(), yaml: true);
    }

    private static void WriteYaml(JsonNode node, int indent, StringBuilder sb)
    {
        var pad = new string(' ', indent);
        IEnumerable<(string Lead, JsonNode? Value)> entries = node is JsonObject obj
            ? obj.Select(p => (JsonSerializer.Serialize(p.Key) + ":", p.Value))
            : ((JsonArray)node).Select(v => ("-", v));
        foreach (var (lead, value) in entries)
        {
            sb.Append(pad).Append(lead);
            if (value is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
            {
                sb.Append('\n');
                WriteYaml(value, indent + 2, sb);
            }
            else sb.Append(' ').Append(value?.ToJsonString() ?? "null").Append('\n');
        }
    }

    /// <summary>What only YAML has: anchors and aliases, tags, directives, several documents, tabs.</summary>
    private string YamlTwist(string yaml) => Random.Next(9) switch
    {
        0 => "%YAML 1.1\n---\n" + yaml,
        1 => yaml + "---\nsecond: document\n",
        2 => "x-anchor: &a [1, 2, 3]\n" + yaml + "y-alias: *a\n",
        3 => yaml.Replace(": ", ": *nowhere #", StringComparison.Ordinal),
        4 => BillionLaughs() + yaml,
        5 => yaml.Replace("  ", "\t", StringComparison.Ordinal),
        6 => "base: &b {k: v}\nmerged:\n  <<: *b\n" + yaml,
        7 => "? [complex, key]\n: value\n" + yaml,
        _ => yaml.Replace(": \"", ": !!binary \"", StringComparison.Ordinal),
    };

    private string BillionLaughs()
    {
        var sb = new StringBuilder("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        var levels = input.Between(2, 9);
        for (var i = 1; i <= levels; i++)
            sb.Append(CultureInfo.InvariantCulture, $"l{i}: &l{i} [").AppendJoin(", ", Enumerable.Repeat($"*l{i - 1}", 9)).Append("]\n");
        return sb.ToString();
    }

    private static string DuplicateKey(string json)
    {
        var brace = json.IndexOf('{', StringComparison.Ordinal);
        return brace < 0 ? json : json.Insert(brace + 1, "\"name\":\"dup\",\"type\":\"Mesh\",");
    }

    /// <summary>Byte-level damage: truncation, invalid UTF-8, encoded surrogates, NUL, BOM, flipped bytes.</summary>
    private byte[] MutateBytes(byte[] bytes)
    {
        var list = bytes.ToList();
        var at = Random.Next(list.Count + 1);
        switch (Random.Next(8))
        {
            case 0:
                return bytes[..Random.Next(bytes.Length)];
            case 1:
                list.InsertRange(at, input.Pick<byte[]>([0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF]));
                break;
            case 2:
                list.InsertRange(at, new byte[] { 0xED, 0xA0, 0x80 }); // a UTF-16 surrogate encoded as UTF-8
                break;
            case 3:
                list.Insert(at, 0);
                break;
            case 4:
                list.InsertRange(0, new byte[] { 0xEF, 0xBB, 0xBF });
                break;
            case 5:
                if (list.Count > 0) list[Math.Min(at, list.Count - 1)] ^= (byte)(1 << Random.Next(8));
                break;
            case 6:
                list.AddRange(bytes);
                break;
            default:
                list.InsertRange(at, input.Bytes(input.Between(1, 16)));
                break;
        }
        return [.. list];
    }
}
