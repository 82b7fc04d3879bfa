using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Kumactl.Resources;

namespace Kuma.Kumactl.Output;

/// <summary>The columns kumactl shows for each type: its own for meshes and dataplanes, MESH NAME AGE or NAME AGE for the rest.</summary>
public static class ResourceColumns
{
    public static IReadOnlyList<string> Headers(KumactlType type) => type switch
    {
        { IsMesh: true } => ["NAME", "mTLS", "LOCALITY", "ZONEEGRESS", "AGE"],
        { Name: "Dataplane" } => ["MESH", "NAME", "TAGS", "ADDRESS", "AGE"],
        { MeshScoped: true } => ["MESH", "NAME", "AGE"],
        _ => ["NAME", "AGE"],
    };

    public static IReadOnlyList<string> Row(KumactlType type, JsonObject item, DateTimeOffset now)
    {
        var age = Age(item, now);
        return type switch
        {
            { IsMesh: true } => [Text(item, "name"), Mtls(item), OnOff(item["routing"]?["localityAwareLoadBalancing"]), OnOff(item["routing"]?["zoneEgress"]), age],
            { Name: "Dataplane" } => [Text(item, "mesh"), Text(item, "name"), Tags(item), Address(item), age],
            { MeshScoped: true } => [Text(item, "mesh"), Text(item, "name"), age],
            _ => [Text(item, "name"), age],
        };
    }

    /// <summary>"type/name" of the enabled certificate authority backend, or off.</summary>
    private static string Mtls(JsonObject mesh)
    {
        var enabled = mesh["mtls"]?["enabledBackend"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
        if (enabled.Length == 0) return "off";
        var backend = (mesh["mtls"]?["backends"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(b => Text(b, "name") == enabled);
        return backend is null ? "off" : $"{Text(backend, "type")}/{enabled}";
    }

    private static string OnOff(JsonNode? flag) => flag is JsonValue v && v.GetValueKind() == JsonValueKind.True ? "on" : "off";

    /// <summary>Every tag of the dataplane's inbounds (and gateway): keys sorted, each with its distinct values sorted and joined by commas.</summary>
    private static string Tags(JsonObject dataplane)
    {
        var networking = dataplane["networking"];
        var tagMaps = (networking?["inbound"] as JsonArray ?? []).OfType<JsonObject>().Select(i => i["tags"] as JsonObject)
            .Append(networking?["gateway"]?["tags"] as JsonObject).OfType<JsonObject>();
        var tags = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in tagMaps.SelectMany(m => m))
        {
            if (!tags.TryGetValue(key, out var values)) tags[key] = values = new SortedSet<string>(StringComparer.Ordinal);
            values.Add(value?.ToString() ?? "");
        }
        return string.Join(' ', tags.Select(t => $"{t.Key}={string.Join(',', t.Value)}"));
    }

    private static string Address(JsonObject dataplane)
    {
        var advertised = dataplane["networking"]?["advertisedAddress"]?.ToString();
        return string.IsNullOrEmpty(advertised) ? dataplane["networking"]?["address"]?.ToString() ?? "" : advertised;
    }

    private static string Text(JsonObject node, string field) => node[field]?.ToString() ?? "";

    private static string Age(JsonObject item, DateTimeOffset now) =>
        DateTimeOffset.TryParse(Text(item, "modificationTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modified)
            ? Duration(now - modified)
            : "";

    /// <summary>kumactl's ages: whole seconds, minutes, hours, days or years, whichever is the largest unit reached.</summary>
    public static string Duration(TimeSpan d)
    {
        var seconds = (long)Math.Truncate(d.TotalSeconds);
        if (seconds < -1) return "never";
        if (seconds < 0) return "0s";
        if (seconds < 60) return $"{seconds}s";
        if (d.TotalMinutes < 60) return $"{(long)d.TotalMinutes}m";
        var hours = (long)d.TotalHours;
        if (hours < 24) return $"{hours}h";
        if (hours < 24 * 365) return $"{hours / 24}d";
        return $"{(long)(d.TotalHours / 24 / 365)}y";
    }
}
