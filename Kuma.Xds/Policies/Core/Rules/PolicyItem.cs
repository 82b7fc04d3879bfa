using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Policies.Rules;

/// <summary>
/// One stored policy as the matching engine sees it: its selectors and raw <c>default</c> blocks.
/// <paramref name="Name"/> is the display name Kuma sorts by (its <c>kuma.io/display-name</c> label when set).
/// </summary>
public sealed record PolicyItem(
    string Name,
    TargetRef? TargetRef,
    ImmutableArray<ToEntry> To,
    ImmutableArray<FromEntry> From,
    ImmutableArray<RuleEntry> Rules,
    JsonObject? Default)
{
    /// <summary>Resource labels; Kuma reads origin, policy role and shadow effect from them.</summary>
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The mesh the policy lives in (part of its identity in Envoy names and inspect views).</summary>
    public string Mesh { get; init; } = "";

    /// <summary>An absent top-level targetRef means the whole mesh.</summary>
    public TargetRef EffectiveTargetRef => TargetRef ?? MeshWide;

    internal string Origin => Labels.GetValueOrDefault(PolicyLabels.Origin, "");

    internal string Role => Labels.GetValueOrDefault(PolicyLabels.Role, "") is { Length: > 0 } role ? role : PolicyLabels.SystemRole;

    internal bool IsShadow => Labels.GetValueOrDefault(PolicyLabels.Effect) == "shadow";

    private static readonly TargetRef MeshWide = new() { Kind = TargetRefKinds.Mesh };

    internal static readonly JsonSerializerOptions SpecJson = new(JsonSerializerDefaults.Web);

    /// <summary>Reads a policy spec as stored (camelCase JSON). Missing sections become empty.</summary>
    public static PolicyItem FromSpecJson(string name, string specJson)
    {
        var spec = JsonNode.Parse(specJson) as JsonObject ?? throw new JsonException("a policy spec must be a JSON object");
        return new PolicyItem(
            name,
            ReadTargetRef(spec["targetRef"]),
            [.. Entries(spec["to"]).Select(e => new ToEntry(ReadTargetRef(e["targetRef"]) ?? MeshWide, Conf(e)))],
            [.. Entries(spec["from"]).Select(e => new FromEntry(ReadTargetRef(e["targetRef"]) ?? MeshWide, Conf(e)))],
            [.. Entries(spec["rules"]).Select(e => new RuleEntry(ReadMatches(e["matches"]), Conf(e)))],
            spec["default"] is JsonObject top ? (JsonObject)top.DeepClone() : null);
    }

    private static IEnumerable<JsonObject> Entries(JsonNode? list) =>
        list is JsonArray array ? array.OfType<JsonObject>() : [];

    // Route policies (MeshHTTPRoute) carry `rules`/`hostnames` on the entry itself instead of a `default` block;
    // those fields are then the conf that gets merged.
    private static JsonObject Conf(JsonObject entry)
    {
        if (entry["default"] is JsonObject conf) return (JsonObject)conf.DeepClone();
        var inline = new JsonObject();
        foreach (var (key, value) in entry)
        {
            if (key is not ("targetRef" or "default" or "matches")) inline[key] = value?.DeepClone();
        }
        return inline;
    }

    private static TargetRef? ReadTargetRef(JsonNode? node) =>
        node is JsonObject ? node.Deserialize<TargetRef>(SpecJson) : null;

    private static ImmutableArray<Match> ReadMatches(JsonNode? node) =>
        node is JsonArray array ? [.. array.OfType<JsonObject>().Select(m => m.Deserialize<Match>(SpecJson)!)] : [];
}

public sealed record ToEntry(TargetRef TargetRef, JsonObject Conf);

public sealed record FromEntry(TargetRef TargetRef, JsonObject Conf);

public sealed record RuleEntry(ImmutableArray<Match> Matches, JsonObject Conf);

internal static class PolicyLabels
{
    public const string Origin = "kuma.io/origin";
    public const string Role = "kuma.io/policy-role";
    public const string Effect = "kuma.io/effect";
    public const string Zone = "kuma.io/zone";
    public const string Namespace = "k8s.kuma.io/namespace";
    public const string SystemRole = "system";
    public const string ServiceTag = "kuma.io/service";
}
