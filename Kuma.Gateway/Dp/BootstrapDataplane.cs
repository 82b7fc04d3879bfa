using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Resources.Core;

namespace Kuma.Gateway.Dp;

/// <summary>What the bootstrap takes from the proxy's Dataplane and its Mesh.</summary>
public static class BootstrapDataplane
{
    private const string ServiceTag = "kuma.io/service";

    public static bool IsBuiltinGateway(DataplaneSpec dataplane) =>
        string.Equals(dataplane.Networking?.Gateway?.Type, "BUILTIN", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The name Envoy's node cluster carries: the first, in order, of the services the Dataplane's tags name (its
    /// inbounds' and its gateway's), or <c>unknown</c>.
    /// </summary>
    public static string ServiceName(DataplaneSpec dataplane)
    {
        var networking = dataplane.Networking;
        var tagSets = (networking?.Inbound ?? []).Select(i => i.Tags).Append(networking?.Gateway?.Tags);
        return tagSets.Select(tags => tags?.GetValueOrDefault(ServiceTag)).OfType<string>().Order(StringComparer.Ordinal).FirstOrDefault() ?? "unknown";
    }

    /// <summary>
    /// The application metrics kuma-dp scrapes and merges with Envoy's: the mesh's enabled Prometheus backend's
    /// <c>aggregate</c> entries, overridden by name by the Dataplane's own, without those switched off.
    /// </summary>
    public static IReadOnlyList<KumaSidecarAggregate> AggregateMetrics(DataplaneSpec dataplane, MeshSpec? mesh)
    {
        var metrics = mesh?.Metrics;
        var backend = metrics?.Backends?.FirstOrDefault(b => b.Name == metrics.EnabledBackend && !string.IsNullOrEmpty(metrics.EnabledBackend));
        if (backend is null || !string.Equals(backend.Type, "prometheus", StringComparison.Ordinal)) return [];
        var entries = new List<JsonObject>();
        foreach (var source in new[] { backend.Conf, string.Equals(dataplane.Metrics?.Type, "prometheus", StringComparison.Ordinal) ? dataplane.Metrics?.Conf : null })
        {
            foreach (var entry in (source?["aggregate"] as JsonArray ?? []).OfType<JsonObject>())
            {
                entries.RemoveAll(e => Text(e, "name") == Text(entry, "name"));
                entries.Add(entry);
            }
        }
        return entries
            .Where(e => e["enabled"] is not JsonValue enabled || enabled.GetValueKind() != JsonValueKind.False)
            .Select(e => new KumaSidecarAggregate(
                Text(e, "name"),
                Text(e, "address") is { Length: > 0 } address ? address : dataplane.Networking?.Address ?? "",
                e["port"] is JsonValue port && port.TryGetValue<uint>(out var p) ? p : 0,
                Text(e, "path")))
            .ToList();
    }

    private static string Text(JsonObject json, string field) =>
        json[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : "";
}
