using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Xds.Generation;

namespace Kuma.Gateway.Api;

/// <summary>Kuma's DataplaneOverview: the dataplane's metadata (labels, kri), its spec under <c>dataplane</c>, its insight under <c>dataplaneInsight</c>.</summary>
public static class DataplaneOverviewJson
{
    /// <summary>What <c>_overview</c> of one dataplane shows when no stream has connected: not connected, no subscriptions.</summary>
    public static readonly DataplaneInsight NeverConnected = new(false, null, null, null, null, []);

    public static void Write(Utf8JsonWriter w, DataplaneView view)
    {
        w.WriteStartObject();
        WriteFields(w, view.Resource.Key.Mesh, view.Name, view.Resource, view.Insight);
        w.WriteEndObject();
    }

    /// <summary>The overview's fields; <c>dataplaneInsight</c> is left out without an insight, as Kuma leaves it out.</summary>
    public static void WriteFields(Utf8JsonWriter w, string mesh, string name, StoredResource? dataplane, DataplaneInsight? insight)
    {
        w.WriteString("type", "DataplaneOverview");
        w.WriteString("mesh", mesh);
        w.WriteString("name", name);
        if (dataplane is not null)
        {
            w.WriteString("creationTime", ResourceJson.FormatTime(dataplane.CreationTime));
            w.WriteString("modificationTime", ResourceJson.FormatTime(dataplane.ModificationTime));
            if (dataplane.Labels.Count > 0)
            {
                w.WriteStartObject("labels");
                foreach (var (key, value) in dataplane.Labels) w.WriteString(key, value);
                w.WriteEndObject();
            }
        }
        w.WriteString("kri", Kri.Of(ResourceTypes.Dataplane, mesh, name, dataplane?.Labels ?? ImmutableSortedDictionary<string, string>.Empty)!);
        if (dataplane is not null)
        {
            w.WritePropertyName("dataplane");
            using var spec = JsonDocument.Parse(dataplane.SpecJson);
            spec.RootElement.WriteTo(w);
        }
        if (insight is null) return;
        w.WriteStartObject("dataplaneInsight");
        w.WriteBoolean("connected", insight.Connected);
        w.WriteStartArray("subscriptions");
        if (!ReferenceEquals(insight, NeverConnected)) WriteSubscription(w, insight);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteSubscription(Utf8JsonWriter w, DataplaneInsight insight)
    {
        w.WriteStartObject();
        if (insight.SessionId is { } id) w.WriteString("id", id.ToString());
        if (insight.GatewayInstance is { } gateway) w.WriteString("controlPlaneInstanceId", gateway);
        if (insight.ConnectTime is { } connected) w.WriteString("connectTime", ResourceJson.FormatTime(connected));
        if (insight.DisconnectTime is { } disconnected) w.WriteString("disconnectTime", ResourceJson.FormatTime(disconnected));
        w.WriteStartObject("status");
        var last = insight.Types.Select(t => t.LastUpdateTime).Max();
        if (last is { } lastUpdate) w.WriteString("lastUpdateTime", ResourceJson.FormatTime(lastUpdate));
        w.WriteStartObject("total");
        // Kuma prints these counters as strings (protobuf uint64 in JSON).
        w.WriteString("responsesSent", insight.Types.Sum(t => t.ResponsesSent).ToString(CultureInfo.InvariantCulture));
        w.WriteString("responsesAcknowledged", insight.Types.Sum(t => t.ResponsesAcknowledged).ToString(CultureInfo.InvariantCulture));
        w.WriteString("responsesRejected", insight.Types.Sum(t => t.ResponsesRejected).ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        foreach (var t in insight.Types)
        {
            w.WriteStartObject(TypeUrls.ShortName(t.TypeUrl));
            w.WriteString("responsesSent", t.ResponsesSent.ToString(CultureInfo.InvariantCulture));
            w.WriteString("responsesAcknowledged", t.ResponsesAcknowledged.ToString(CultureInfo.InvariantCulture));
            w.WriteString("responsesRejected", t.ResponsesRejected.ToString(CultureInfo.InvariantCulture));
            if (t.LastSentVersion is { } sent) w.WriteString("lastSentVersion", sent);
            if (t.LastAckedVersion is { } acked) w.WriteString("lastAckedVersion", acked);
            if (t.LastNackedVersion is { } nacked) w.WriteString("lastNackedVersion", nacked);
            if (t.LastNackError is { } error) w.WriteString("lastNackError", error);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

}
