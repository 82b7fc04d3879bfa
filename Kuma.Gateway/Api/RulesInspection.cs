using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.Rules;
using Kuma.Resources;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Gateway.Api;

/// <summary>
/// The body of <c>/meshes/{mesh}/dataplanes/{name}/_rules</c> in Kuma's shape: per policy type that applies, the
/// merged <c>to</c> rules by destination subset, the resource rules for the mesh, the per-caller <c>from</c>
/// rules and the <c>rules</c>-style inbound rules of each inbound, and the merged top-level conf, each with the
/// policies it came from.
/// </summary>
internal sealed class RulesInspection(MeshSnapshot snapshot, MeshContext context)
{
    public void Write(Utf8JsonWriter w, StoredResource dataplane)
    {
        var spec = context.Dataplanes[dataplane.Key.Name];
        var rules = context.RulesFor(dataplane.Key.Name, spec);
        w.WriteStartObject();
        // The matches behind each route-rule hash, which names routes and appears in subsets of policies aimed at routes.
        w.WriteStartArray("httpMatches");
        foreach (var (hash, matches) in HttpMatches(rules))
        {
            w.WriteStartObject();
            w.WriteString("hash", hash);
            w.WritePropertyName("match");
            if (matches is null) w.WriteNullValue();
            else matches.WriteTo(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WritePropertyName("resource");
        WriteMeta(w, ResourceTypes.Dataplane.Name, dataplane.Key.Name, dataplane.Labels);
        w.WriteStartArray("rules");
        for (var t = 0; t < PolicyTypes.All.Count; t++) WriteType(w, PolicyTypes.All[t], rules.Merged[t], rules.Facts);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Kuma's list: the matches of every rule in the proxy's merged MeshHTTPRoute <c>to</c> rules, by hash.</summary>
    private static SortedDictionary<string, JsonNode?> HttpMatches(ProxyRules rules)
    {
        var byHash = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Name != MeshHttpRoutePolicy.Descriptor.Name) continue;
            foreach (var subset in rules.Merged[t].ToSubsets())
            {
                foreach (var rule in (subset.Conf["rules"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var matches = rule["matches"];
                    byHash[RouteNames.Of(matches?.Deserialize<List<HttpRouteMatch>>(SpecBinder.Options))] = matches?.DeepClone();
                }
            }
        }
        return byHash;
    }

    private void WriteType(Utf8JsonWriter w, PolicyType type, MergedRules merged, ProxyFacts facts)
    {
        if (merged.Policies.IsEmpty) return;
        var toRules = merged.ToSubsets();
        var toResource = MeshResourceRule(merged, type.Merge);
        var inbounds = facts.Inbounds.OrderBy(i => i.Port).Select(i => (Inbound: i, Rules: merged.ForInbound(i))).ToList();
        var fromRules = inbounds.Select(i => (i.Inbound, Subsets: i.Rules.CallerSubsets(type.Merge))).Where(i => !i.Subsets.IsEmpty).ToList();
        var inboundRules = inbounds.Where(i => !i.Rules.Rules.IsEmpty).ToList();
        if (merged.Proxy is null && toRules.IsEmpty && toResource is null && fromRules.Count == 0 && inboundRules.Count == 0) return;

        w.WriteStartObject();
        w.WriteStartArray("fromRules");
        foreach (var (inbound, subsets) in fromRules)
        {
            w.WriteStartObject();
            WriteInbound(w, inbound);
            w.WriteStartArray("rules");
            foreach (var rule in subsets) WriteSubsetRule(w, type.Name, rule);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("inboundRules");
        foreach (var (inbound, inboundRule) in inboundRules)
        {
            w.WriteStartObject();
            WriteInbound(w, inbound);
            w.WriteStartArray("rules");
            foreach (var rule in inboundRule.Rules)
            {
                w.WriteStartObject();
                w.WriteStartArray("conf");
                rule.Conf.WriteTo(w);
                w.WriteEndArray();
                if (rule.Match is { } match)
                {
                    w.WritePropertyName("match");
                    JsonSerializer.Serialize(w, match, SpecBinder.Options);
                }
                w.WriteStartArray("origin");
                WriteRuleOrigin(w, type.Name, rule.Origin);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        if (merged.Proxy is { } proxy)
        {
            w.WriteStartObject("proxyRule");
            w.WritePropertyName("conf");
            proxy.WriteTo(w);
            w.WriteStartArray("origin");
            foreach (var origin in merged.ProxyOrigins) WritePolicyMeta(w, type.Name, origin);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteStartArray("toResourceRules");
        if (toResource is { } resourceRule)
        {
            w.WriteStartObject();
            w.WriteStartArray("conf");
            resourceRule.Conf.WriteTo(w);
            w.WriteEndArray();
            w.WriteStartArray("origin");
            foreach (var origin in resourceRule.Origins) WriteRuleOrigin(w, type.Name, origin);
            w.WriteEndArray();
            w.WritePropertyName("resourceMeta");
            // The Mesh resource is global: no mesh of its own.
            WriteMeta(w, ResourceTypes.Mesh.Name, snapshot.Mesh, ImmutableSortedDictionary<string, string>.Empty, mesh: "");
            w.WriteString("resourceSectionName", "");
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("toRules");
        foreach (var rule in toRules) WriteSubsetRule(w, type.Name, rule);
        w.WriteEndArray();
        w.WriteString("type", type.Name);
        w.WriteStartArray("warnings");
        foreach (var warning in type.Plugin?.RulesWarnings(context.Mtls) ?? []) w.WriteStringValue(warning);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Kuma's resource rule for the mesh itself: the merge of every <c>to</c> entry that targets the whole mesh.
    /// (Rules for MeshService and other real destination resources need those resources, which meshes here do not hold.)
    /// </summary>
    private static (JsonObject Conf, ImmutableArray<PolicyOrigin> Origins)? MeshResourceRule(MergedRules merged, MergeRules merge)
    {
        var entries = merged.Policies
            .Where(p => p.EffectiveTargetRef.Kind != TargetRefKinds.MeshHTTPRoute)
            .SelectMany(p => p.To.Select((to, i) => (to, Origin: PolicyOrigin.Of(p, "to", i))))
            .Where(e => e.to.TargetRef.Kind == TargetRefKinds.Mesh)
            .ToList();
        if (entries.Count == 0) return null;
        return (JsonMerge.Merge(entries.Select(e => e.to.Conf), merge), [.. entries.Select(e => e.Origin)]);
    }

    private static void WriteInbound(Utf8JsonWriter w, InboundFacts inbound)
    {
        w.WriteStartObject("inbound");
        if (inbound.Name.Length > 0) w.WriteString("name", inbound.Name);
        w.WriteNumber("port", inbound.Port);
        w.WriteStartObject("tags");
        foreach (var (key, value) in inbound.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteSubsetRule(Utf8JsonWriter w, string type, SubsetRule rule)
    {
        w.WriteStartObject();
        w.WritePropertyName("conf");
        rule.Conf.WriteTo(w);
        w.WriteStartArray("matchers");
        foreach (var tag in rule.Subset)
        {
            w.WriteStartObject();
            w.WriteString("key", tag.Key);
            w.WriteBoolean("not", tag.Not);
            w.WriteString("value", tag.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("origin");
        foreach (var origin in rule.Origins) WritePolicyMeta(w, type, origin);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteRuleOrigin(Utf8JsonWriter w, string type, PolicyOrigin origin)
    {
        w.WriteStartObject();
        w.WritePropertyName("resourceMeta");
        WritePolicyMeta(w, type, origin);
        w.WriteNumber("ruleIndex", origin.Index);
        w.WriteEndObject();
    }

    private void WritePolicyMeta(Utf8JsonWriter w, string type, PolicyOrigin origin)
    {
        var labels = snapshot.ByType.TryGetValue(type, out var byName) && byName.TryGetValue(origin.Policy, out var policy)
            ? policy.Labels
            : ImmutableSortedDictionary<string, string>.Empty;
        WriteMeta(w, type, origin.Policy, labels);
    }

    private void WriteMeta(Utf8JsonWriter w, string type, string name, ImmutableSortedDictionary<string, string> labels, string? mesh = null)
    {
        w.WriteStartObject();
        w.WriteStartObject("labels");
        foreach (var (key, value) in labels) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteString("mesh", mesh ?? snapshot.Mesh);
        w.WriteString("name", name);
        w.WriteString("type", type);
        w.WriteEndObject();
    }
}
