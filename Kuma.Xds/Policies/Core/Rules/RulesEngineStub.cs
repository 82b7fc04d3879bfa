// TEMPORARY: a minimal stand-in with the rules engine's API so the pipeline builds while the engine
// (Kuma's full matching, sort order and merge exceptions) is written beside it; replaced on merge.
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Policies.Rules;

public sealed record PolicyItem(string Name, TargetRef? TargetRef, ImmutableArray<ToEntry> To,
    ImmutableArray<FromEntry> From, ImmutableArray<RuleEntry> Rules, JsonObject? Default)
{
    public static PolicyItem FromSpecJson(string name, string specJson)
    {
        var spec = JsonNode.Parse(specJson)!.AsObject();
        static TargetRef? Ref(JsonNode? node) => node?.Deserialize<TargetRef>(Kuma.Validation.SpecBinder.Options);
        var to = spec["to"]?.AsArray().Select(e => new ToEntry(Ref(e!["targetRef"])!, e!["default"]?.AsObject() ?? [])).ToImmutableArray() ?? [];
        var from = spec["from"]?.AsArray().Select(e => new FromEntry(Ref(e!["targetRef"])!, e!["default"]?.AsObject() ?? [])).ToImmutableArray() ?? [];
        var rules = spec["rules"]?.AsArray().Select(e => new RuleEntry(
            e!["matches"]?.Deserialize<ImmutableArray<Match>>(Kuma.Validation.SpecBinder.Options) ?? [], e["default"]?.AsObject() ?? [])).ToImmutableArray() ?? [];
        return new PolicyItem(name, Ref(spec["targetRef"]), to, from, rules, spec["default"]?.AsObject());
    }
}

public sealed record ToEntry(TargetRef TargetRef, JsonObject Conf);
public sealed record FromEntry(TargetRef TargetRef, JsonObject Conf);
public sealed record RuleEntry(ImmutableArray<Match> Matches, JsonObject Conf);
public sealed record ProxyFacts(string Name, IReadOnlyDictionary<string, string> Labels, ImmutableArray<InboundFacts> Inbounds, string ProxyType);
public sealed record InboundFacts(string Name, uint Port, IReadOnlyDictionary<string, string> Tags);

public sealed record MergeRules
{
    public static MergeRules Default { get; } = new();
}

public sealed record InboundRules(JsonObject? Conf)
{
    public static InboundRules None { get; } = new((JsonObject?)null);
}

public static class PolicyMatcher
{
    public static ImmutableArray<PolicyItem> Select(ProxyFacts proxy, IReadOnlyList<PolicyItem> policies) =>
        [.. policies.Where(p => Selects(p.TargetRef, proxy)).OrderBy(p => Rank(p.TargetRef)).ThenBy(p => p.Name, StringComparer.Ordinal)];

    private static bool Selects(TargetRef? target, ProxyFacts proxy)
    {
        if (target?.ProxyTypes is { Count: > 0 } types && !types.Contains(proxy.ProxyType)) return false;
        return (target?.Kind ?? TargetRefKinds.Mesh) switch
        {
            TargetRefKinds.Mesh => true,
            TargetRefKinds.MeshService => proxy.Inbounds.Any(i => i.Tags.GetValueOrDefault("kuma.io/service") == target!.Name),
            TargetRefKinds.Dataplane => target!.Name == proxy.Name,
            _ => false,
        };
    }

    private static int Rank(TargetRef? target) => (target?.Kind ?? TargetRefKinds.Mesh) switch
    {
        TargetRefKinds.Mesh => 0,
        TargetRefKinds.MeshService => 2,
        _ => 5,
    };
}

public sealed class MergedRules
{
    private readonly IReadOnlyList<PolicyItem> _selected;

    private MergedRules(IReadOnlyList<PolicyItem> selected) => _selected = selected;

    public static MergedRules Build(ProxyFacts proxy, IReadOnlyList<PolicyItem> selectedSorted, MergeRules merge) => new(selectedSorted);

    public JsonObject? Proxy => Merge(_selected.Select(p => p.Default).OfType<JsonObject>());

    public JsonObject? ToService(string service) => Merge(_selected.SelectMany(p => p.To)
        .Where(t => t.TargetRef.Kind == TargetRefKinds.Mesh || (t.TargetRef.Kind == TargetRefKinds.MeshService && t.TargetRef.Name == service))
        .Select(t => t.Conf));

    public InboundRules ForInbound(InboundFacts inbound) => new(Merge(_selected.SelectMany(p => p.From)
        .Where(f => f.TargetRef.Kind == TargetRefKinds.Mesh).Select(f => f.Conf)
        .Concat(_selected.SelectMany(p => p.Rules).Where(r => r.Matches.IsDefaultOrEmpty).Select(r => r.Conf))));

    private static JsonObject? Merge(IEnumerable<JsonObject> confs)
    {
        JsonObject? result = null;
        foreach (var conf in confs) result = JsonMerge.Patch(result ?? [], conf);
        return result;
    }
}

public static class JsonMerge
{
    public static JsonObject Patch(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        foreach (var (key, value) in patch)
        {
            if (value is null) result.Remove(key);
            else if (value is JsonObject o && result[key] is JsonObject existing) result[key] = Patch(existing, o);
            else result[key] = value.DeepClone();
        }
        return result;
    }
}
