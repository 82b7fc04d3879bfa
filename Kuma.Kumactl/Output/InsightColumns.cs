using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kuma.Kumactl.Output;

/// <summary>
/// The columns of <c>kumactl inspect</c>: Kuma's for dataplanes and services. For meshes Kuma counts its legacy policy
/// types, which this control plane does not have; the table keeps MESH and DATAPLANES and lists the policy types the
/// mesh holds instead.
/// </summary>
public static class InsightColumns
{
    public static readonly IReadOnlyList<string> DataplaneHeaders =
    [
        "MESH", "NAME", "TAGS", "STATUS", "LAST CONNECTED AGO", "LAST UPDATED AGO", "TOTAL UPDATES", "TOTAL ERRORS",
        "CERT REGENERATED AGO", "CERT EXPIRATION", "CERT REGENERATIONS", "CERT BACKEND", "SUPPORTED CERT BACKENDS",
        "KUMA-DP VERSION", "ENVOY VERSION", "DEPENDENCIES VERSIONS", "NOTES",
    ];

    /// <summary>One <c>dataplanes+insights</c> item. Certificate columns stay at Kuma's empty values: insights do not carry them here.</summary>
    public static IReadOnlyList<string> DataplaneRow(JsonObject overview, DateTimeOffset now)
    {
        var dataplane = overview["dataplane"] as JsonObject ?? [];
        var insight = overview["dataplaneInsight"] as JsonObject;
        var subscription = (insight?["subscriptions"] as JsonArray ?? []).OfType<JsonObject>().LastOrDefault();
        var total = subscription?["status"]?["total"];
        var notReady = NotReadyInbounds(dataplane).ToList();
        var notes = notReady.Concat(LastRejection(subscription)).ToList();
        var version = subscription?["version"];
        return
        [
            Text(overview, "mesh"), Text(overview, "name"), ResourceColumns.Tags(dataplane), StatusOf(insight, notReady.Count > 0),
            Ago(subscription?["connectTime"], now), Ago(subscription?["status"]?["lastUpdateTime"], now),
            Count(total?["responsesSent"]), Count(total?["responsesRejected"]),
            "never", "-", "0", "-", "",
            version?["kumaDp"]?["version"]?.ToString() ?? "", version?["envoy"]?["version"]?.ToString() ?? "", "-",
            string.Join(';', notes),
        ];
    }

    public static readonly IReadOnlyList<string> MeshHeaders = ["MESH", "DATAPLANES", "POLICIES"];

    public static IReadOnlyList<string> MeshRow(JsonObject insight)
    {
        var dataplanes = insight["dataplanes"];
        var policies = (insight["policies"] as JsonObject ?? [])
            .Select(p => $"{p.Key}={Count(p.Value?["total"])}")
            .Order(StringComparer.Ordinal);
        return [Text(insight, "name"), $"{Count(dataplanes?["online"])}/{Count(dataplanes?["total"])}", string.Join(' ', policies)];
    }

    public static readonly IReadOnlyList<string> ServiceHeaders = ["SERVICE", "STATUS", "DATAPLANES"];

    public static IReadOnlyList<string> ServiceRow(JsonObject insight)
    {
        var dataplanes = insight["dataplanes"];
        var status = Text(insight, "status") switch
        {
            "online" => "Online",
            "partially_degraded" => "Partially degraded",
            "offline" => "Offline",
            var other => other,
        };
        return [Text(insight, "name"), status, $"{Count(dataplanes?["online"])}/{Count(dataplanes?["total"])}"];
    }

    /// <summary>Kuma's statuses: connected with every inbound ready is online, with some not ready partially degraded.</summary>
    private static string StatusOf(JsonObject? insight, bool degraded) =>
        !IsConnected(insight) ? "Offline" : degraded ? "Partially degraded" : "Online";

    private static bool IsConnected(JsonObject? insight) => insight?["connected"] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static IEnumerable<string> NotReadyInbounds(JsonObject dataplane) =>
        (dataplane["networking"]?["inbound"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(i => i["state"]?.ToString() == "NotReady")
            .Select(i => $"inbound[port={i["port"]},svc={i["tags"]?["kuma.io/service"]}] is not ready");

    /// <summary>What the proxy last rejected, per type, with its error: the first thing to read when a proxy is stuck.</summary>
    private static IEnumerable<string> LastRejection(JsonObject? subscription) =>
        (subscription?["status"] as JsonObject ?? [])
            .Where(t => t.Value is JsonObject s && s["lastNackError"] is not null)
            .Select(t => $"{t.Key.ToUpperInvariant()} rejected {t.Value!["lastNackedVersion"]}: {t.Value["lastNackError"]}");

    private static string Ago(JsonNode? time, DateTimeOffset now) =>
        time is not null && DateTimeOffset.TryParse(time.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? ResourceColumns.Duration(now - at)
            : "never";

    private static string Count(JsonNode? value) => value?.ToString() is { Length: > 0 } text ? text : "0";

    private static string Text(JsonObject node, string field) => node[field]?.ToString() ?? "";
}
