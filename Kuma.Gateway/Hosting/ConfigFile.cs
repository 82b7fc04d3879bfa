using Kuma.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// Reads the control plane's settings: a YAML (or JSON) file named by <c>-c</c>/<c>--config-file</c> or
/// <c>KUMA_CONFIG_FILE</c>, with Kuma's nested keys, overridden by <c>KUMA_*</c> environment variables.
/// </summary>
public static class ConfigFile
{
    public static KumaSettings Load(string[] args)
    {
        var path = ArgValue(args, "-c") ?? ArgValue(args, "--config-file") ?? Environment.GetEnvironmentVariable("KUMA_CONFIG_FILE");
        return KumaSettings.FromEnvironment(path is null ? null : Flatten(path));
    }

    private static string? ArgValue(string[] args, string flag)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == flag && i + 1 < args.Length) return args[i + 1];
            if (args[i].StartsWith(flag + "=", StringComparison.Ordinal)) return args[i][(flag.Length + 1)..];
        }
        return null;
    }

    public static Dictionary<string, string> Flatten(string path)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = File.OpenText(path);
            yaml.Load(reader);
        }
        catch (Exception e) when (e is IOException or YamlException or UnauthorizedAccessException)
        {
            throw new KumaConfigurationException($"cannot read config file {path}: {e.Message}");
        }
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (yaml.Documents.Count > 0) Walk(yaml.Documents[0].RootNode, [], values);
        return values;
    }

    private static void Walk(YamlNode node, List<string> path, Dictionary<string, string> values)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    path.Add(((YamlScalarNode)key).Value ?? "");
                    Walk(value, path, values);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case YamlScalarNode scalar:
                values[ConfigFileKeys.ToEnvironmentName(path)] = scalar.Value ?? "";
                break;
            case YamlSequenceNode sequence:
                values[ConfigFileKeys.ToEnvironmentName(path)] = string.Join(',', sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value));
                break;
        }
    }
}
