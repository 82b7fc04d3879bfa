using System.Globalization;
using System.Text.Json.Nodes;

namespace Kuma.Tests.Kubernetes.Infrastructure;

/// <summary>RFC 6902 add/replace/remove/test applied to a JSON document, as the API server applies a webhook's patch.</summary>
internal static class JsonPatchApplier
{
    public static JsonNode Apply(JsonNode document, JsonArray patch)
    {
        var root = document.DeepClone();
        foreach (var operation in patch.Cast<JsonObject>())
        {
            var op = operation["op"]!.GetValue<string>();
            var path = operation["path"]!.GetValue<string>();
            var tokens = path.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            Assert.True(tokens.Length > 0, $"patch path '{path}' targets the whole document");
            var parent = Navigate(root, tokens[..^1], path);
            var last = tokens[^1];
            switch (op)
            {
                case "add" or "replace":
                    var value = operation["value"]!.DeepClone();
                    if (parent is JsonObject o)
                    {
                        if (op == "replace") Assert.True(o.ContainsKey(last), $"replace of missing {path}");
                        o[last] = value;
                    }
                    else if (parent is JsonArray a)
                    {
                        if (last == "-") a.Add(value);
                        else if (op == "add") a.Insert(Index(last, a.Count + 1, path), value);
                        else a[Index(last, a.Count, path)] = value;
                    }
                    else Assert.Fail($"{path}: parent is not a container");
                    break;
                case "remove":
                    if (parent is JsonObject ro) Assert.True(ro.Remove(last), $"remove of missing {path}");
                    else if (parent is JsonArray ra) ra.RemoveAt(Index(last, ra.Count, path));
                    else Assert.Fail($"{path}: parent is not a container");
                    break;
                default:
                    Assert.Fail($"unexpected patch op {op}");
                    break;
            }
        }
        return root;
    }

    private static JsonNode Navigate(JsonNode root, string[] tokens, string path)
    {
        var node = root;
        foreach (var token in tokens)
        {
            node = node switch
            {
                JsonObject o when o[token] is { } child => child,
                JsonArray a => a[Index(token, a.Count, path)]!,
                _ => throw new InvalidOperationException($"patch path {path}: no '{token}'"),
            };
        }
        return node;
    }

    private static int Index(string token, int count, string path)
    {
        var index = int.Parse(token, NumberStyles.None, CultureInfo.InvariantCulture);
        Assert.True(index < count, $"patch path {path}: index {index} out of range");
        return index;
    }
}
