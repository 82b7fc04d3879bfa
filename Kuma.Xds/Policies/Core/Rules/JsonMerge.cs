using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Kuma.Policies.Rules;

/// <summary>
/// Merges <c>default</c> blocks the way Kuma does. Inputs are never modified; results share no nodes with them.
/// A <c>null</c> value counts as absent (Kuma reads confs into typed structs, where null and missing are the same),
/// so it neither deletes an earlier value nor appears in the result.
/// </summary>
public static class JsonMerge
{
    /// <summary>The merged conf; for a split merge, the first group's (the one Kuma's rule lookup returns).</summary>
    public static JsonObject Merge(IEnumerable<JsonObject> confsInOrder, MergeRules rules)
    {
        var all = MergeAll(confsInOrder, rules);
        return all.IsEmpty ? [] : all[0];
    }

    /// <summary>Every group of a split merge (one element unless <see cref="MergeRules.SplitByValuesOf"/> applies).</summary>
    public static ImmutableArray<JsonObject> MergeAll(IEnumerable<JsonObject> confsInOrder, MergeRules rules)
    {
        ArgumentNullException.ThrowIfNull(confsInOrder);
        ArgumentNullException.ThrowIfNull(rules);
        var confs = confsInOrder.ToList();
        if (confs.Count == 0) return [];
        if (rules.SplitByValuesOf is not { } splitKey) return [MergeGroup(confs, rules)];

        var groups = new List<(string Value, List<JsonObject> Confs)>();
        foreach (var conf in confs)
        {
            var values = conf[splitKey] is JsonArray array && array.Count > 0
                ? array.Select(v => v?.GetValue<string>() ?? "").ToList()
                : [""];
            foreach (var value in values)
            {
                var index = groups.FindIndex(g => g.Value == value);
                if (index < 0)
                {
                    groups.Add((value, []));
                    index = groups.Count - 1;
                }
                var member = conf;
                if (value.Length > 0)
                {
                    member = (JsonObject)conf.DeepClone();
                    member[splitKey] = new JsonArray(value);
                }
                groups[index].Confs.Add(member);
            }
        }
        return [.. groups.Select(g => MergeGroup(g.Confs, rules))];
    }

    private static JsonObject MergeGroup(List<JsonObject> confs, MergeRules rules)
    {
        var result = new JsonObject();
        foreach (var conf in confs) Patch(result, conf);
        foreach (var path in rules.AppendPaths) Append(result, confs, path.Split('.'));
        foreach (var keyed in rules.KeyedLists) MergeByKey(result, confs, keyed);
        return result;
    }

    /// <summary>RFC 7396 merge patch, except that null is ignored rather than deleting.</summary>
    private static void Patch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null) continue;
            if (value is JsonObject patchObject)
            {
                if (target[key] is not JsonObject targetObject)
                {
                    targetObject = [];
                    target[key] = targetObject;
                }
                Patch(targetObject, patchObject);
            }
            else
            {
                target[key] = WithoutNulls(value);
            }
        }
    }

    private static JsonNode WithoutNulls(JsonNode node)
    {
        if (node is not JsonObject obj) return node.DeepClone();
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (value is not null) copy[key] = WithoutNulls(value);
        }
        return copy;
    }

    private static void Append(JsonObject result, List<JsonObject> confs, string[] path)
    {
        // Kuma only appends where the merged result still has the enclosing object.
        if (Parent(result, path) is not { } parent) return;
        var leaf = path[^1];
        JsonArray? combined = null;
        foreach (var conf in confs)
        {
            if (Parent(conf, path)?[leaf] is not JsonArray items) continue;
            combined ??= [];
            foreach (var item in items) combined.Add(item?.DeepClone());
        }
        if (combined is not null) parent[leaf] = combined;
    }

    private static JsonObject? Parent(JsonObject root, string[] path)
    {
        var node = root;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (node[path[i]] is not JsonObject next) return null;
            node = next;
        }
        return node;
    }

    private static void MergeByKey(JsonObject result, List<JsonObject> confs, KeyedList keyed)
    {
        var items = new List<JsonObject>();
        foreach (var conf in confs)
        {
            if (conf[keyed.Path] is not JsonArray list) continue;
            var own = list.OfType<JsonObject>().ToList();
            if (keyed.MostSpecificFirst) own.Reverse();
            items.AddRange(own);
        }
        if (items.Count == 0) return;

        // Each key keeps the position of its last appearance; its values merge in order of appearance.
        var groups = new List<(JsonNode? Key, List<JsonObject> Values)>();
        foreach (var item in items)
        {
            var key = item[keyed.KeyField];
            var values = new List<JsonObject>();
            var earlier = groups.FindIndex(g => JsonNode.DeepEquals(g.Key, key));
            if (earlier >= 0)
            {
                values.AddRange(groups[earlier].Values);
                groups.RemoveAt(earlier);
            }
            values.Add(item[keyed.ValueField] as JsonObject ?? []);
            groups.Add((key, values));
        }
        if (keyed.MostSpecificFirst) groups.Reverse();

        var merged = new JsonArray();
        foreach (var (key, values) in groups)
        {
            var entry = new JsonObject();
            if (key is not null) entry[keyed.KeyField] = key.DeepClone();
            entry[keyed.ValueField] = MergeGroup(values, MergeRules.Plain);
            merged.Add(entry);
        }
        result[keyed.Path] = merged;
    }
}
