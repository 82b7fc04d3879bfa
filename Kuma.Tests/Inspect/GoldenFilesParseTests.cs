using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.Inspect;

/// <summary>
/// Every golden file of Envoy resources (the policy goldens under Kuma.Xds/Policies and any JSON file under Kuma.Tests
/// shaped as <c>{"lds": [...], "cds": [...], ...}</c>) parses back into typed Envoy messages through the type
/// registry, with no unknown field, every packed config of a known type, and the resource under its type's key; and
/// the typed message prints as the same JSON again, so the golden says exactly what the message holds.
/// </summary>
public sealed class GoldenFilesParseTests
{
    private static readonly Dictionary<string, string> TypeByKey = new(StringComparer.Ordinal)
    {
        ["lds"] = TypeUrls.Listener,
        ["rds"] = TypeUrls.RouteConfiguration,
        ["cds"] = TypeUrls.Cluster,
        ["eds"] = TypeUrls.ClusterLoadAssignment,
        ["sds"] = TypeUrls.Secret,
    };

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(ConfigDump.Types));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(ConfigDump.Types).WithFormatDefaultValues(false));

    public static TheoryData<string> GoldenFiles() => [.. Files()];

    private static List<string> Files()
    {
        var root = NodeProcess.RepositoryRoot();
        return [.. Directory.EnumerateFiles(Path.Combine(root, "Kuma.Xds", "Policies"), "*.golden.json", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "Kuma.Tests"), "*.json", SearchOption.AllDirectories).Where(IsResourceGolden))
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void The_policy_and_whole_proxy_goldens_are_all_found()
    {
        var files = Files();
        Assert.True(files.Count(f => f.StartsWith("Kuma.Xds", StringComparison.Ordinal)) >= 100, $"{files.Count} golden files found");
        Assert.Contains(Path.Combine("Kuma.Tests", "Xds", "Golden", "sidecar-transparent-proxy.json"), files);
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void Golden_resources_parse_back_into_typed_envoy_messages(string file)
    {
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(NodeProcess.RepositoryRoot(), file)))!.AsObject();
        var parsed = 0;
        foreach (var (key, resources) in golden)
        {
            if (!TypeByKey.TryGetValue(key, out var typeUrl)) continue;
            foreach (var resource in resources!.AsArray())
            {
                var text = resource!.ToJsonString();
                var any = Parser.Parse<Any>(text);
                Assert.Equal(typeUrl, any.TypeUrl);
                Assert.NotNull(ConfigDump.Types.Find(Any.GetTypeName(any.TypeUrl))!.Parser.ParseFrom(any.Value));
                Assert.True(JsonNode.DeepEquals(resource, JsonNode.Parse(Formatter.Format(any))), $"{file}: {key} {resource["name"]} prints differently once parsed");
                parsed++;
            }
        }
        Assert.True(parsed > 0, $"{file} holds no Envoy resource");
    }

    /// <summary>A JSON object whose keys include an xDS short name holding an array.</summary>
    private static bool IsResourceGolden(string file)
    {
        if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) is JsonObject o && o.Any(p => TypeByKey.ContainsKey(p.Key) && p.Value is JsonArray);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
