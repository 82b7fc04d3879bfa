using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Output;
using Kuma.Validation;

namespace Kuma.Kumactl.Config;

/// <summary>
/// Reads and writes kumactl's YAML config file in Kuma's layout (camelCase as Kuma writes it; snake_case, which
/// Kuma also reads, is accepted).
/// </summary>
public static class ConfigFile
{
    public static KumactlConfig Load(string path)
    {
        if (!File.Exists(path)) return KumactlConfig.Default();
        JsonNode? tree;
        try
        {
            tree = YamlToJson.Convert(File.ReadAllText(path, Encoding.UTF8));
        }
        catch (YamlTreeException e)
        {
            throw new KumactlException($"could not read the config file {path}: {e.Message}");
        }
        try
        {
            return FromTree(tree as JsonObject ?? []);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new KumactlException($"could not read the config file {path}: {e.Message}");
        }
    }

    public static void Save(string path, KumactlConfig config)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        File.WriteAllText(path, ToYaml(config), new UTF8Encoding(false));
        // Tokens sit in this file: only its owner reads it, as Kuma writes it (0600).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static string ToYaml(KumactlConfig config) => YamlText.Write(ToTree(config));

    private static JsonObject ToTree(KumactlConfig config)
    {
        var root = new JsonObject();
        if (config.Contexts.Count > 0)
        {
            root["contexts"] = new JsonArray([.. config.Contexts.Select(c =>
            {
                var node = new JsonObject { ["name"] = c.Name, ["controlPlane"] = c.ControlPlane };
                if (!string.IsNullOrEmpty(c.DefaultMesh)) node["defaults"] = new JsonObject { ["mesh"] = c.DefaultMesh };
                return (JsonNode)node;
            })]);
        }
        if (config.ControlPlanes.Count > 0)
        {
            root["controlPlanes"] = new JsonArray([.. config.ControlPlanes.Select(cp =>
                (JsonNode)new JsonObject { ["name"] = cp.Name, ["coordinates"] = new JsonObject { ["apiServer"] = ApiServerTree(cp.ApiServer) } })]);
        }
        if (config.CurrentContext.Length > 0) root["currentContext"] = config.CurrentContext;
        return root;
    }

    private static JsonObject ApiServerTree(ApiServerEntry s)
    {
        var node = new JsonObject { ["url"] = s.Url };
        if (!string.IsNullOrEmpty(s.CaCertFile)) node["caCertFile"] = s.CaCertFile;
        if (!string.IsNullOrEmpty(s.ClientCertFile)) node["clientCertFile"] = s.ClientCertFile;
        if (!string.IsNullOrEmpty(s.ClientKeyFile)) node["clientKeyFile"] = s.ClientKeyFile;
        if (s.SkipVerify) node["skipVerify"] = true;
        if (!string.IsNullOrEmpty(s.AuthType)) node["authType"] = s.AuthType;
        if (s.AuthConf.Count > 0) node["authConf"] = new JsonObject(s.AuthConf.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        if (s.Headers.Count > 0)
            node["headers"] = new JsonArray([.. s.Headers.Select(h => (JsonNode)new JsonObject { ["key"] = h.Key, ["value"] = h.Value })]);
        return node;
    }

    private static KumactlConfig FromTree(JsonObject root)
    {
        var config = new KumactlConfig { CurrentContext = Text(root, "currentContext") ?? "" };
        foreach (var cp in Objects(root, "controlPlanes"))
        {
            var apiServer = Child(Child(cp, "coordinates"), "apiServer");
            config.ControlPlanes.Add(new ControlPlaneEntry
            {
                Name = Text(cp, "name") ?? "",
                ApiServer = new ApiServerEntry
                {
                    Url = Text(apiServer, "url") ?? "",
                    CaCertFile = Text(apiServer, "caCertFile"),
                    ClientCertFile = Text(apiServer, "clientCertFile"),
                    ClientKeyFile = Text(apiServer, "clientKeyFile"),
                    SkipVerify = Field(apiServer, "skipVerify") is JsonValue v && v.GetValueKind() == JsonValueKind.True,
                    AuthType = Text(apiServer, "authType"),
                    AuthConf = (Child(apiServer, "authConf") ?? []).ToDictionary(p => p.Key, p => p.Value?.ToString() ?? ""),
                    Headers = [.. Objects(apiServer ?? [], "headers").Select(h => KeyValuePair.Create(Text(h, "key") ?? "", Text(h, "value") ?? ""))],
                },
            });
        }
        foreach (var context in Objects(root, "contexts"))
        {
            config.Contexts.Add(new ContextEntry
            {
                Name = Text(context, "name") ?? "",
                ControlPlane = Text(context, "controlPlane") ?? "",
                DefaultMesh = Text(Child(context, "defaults"), "mesh"),
            });
        }
        return config;
    }

    /// <summary>A field by its camelCase name or the snake_case spelling of it.</summary>
    private static JsonNode? Field(JsonObject? node, string camel)
    {
        if (node is null) return null;
        if (node.TryGetPropertyValue(camel, out var value)) return value;
        var snake = string.Concat(camel.Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
        return node.TryGetPropertyValue(snake, out value) ? value : null;
    }

    private static JsonObject? Child(JsonObject? node, string camel) => Field(node, camel) as JsonObject;

    private static string? Text(JsonObject? node, string camel) => Field(node, camel)?.ToString();

    private static IEnumerable<JsonObject> Objects(JsonObject node, string camel) => (Field(node, camel) as JsonArray ?? []).OfType<JsonObject>();
}
