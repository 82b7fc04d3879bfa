using System.Text.Json;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Gateway.Api;

/// <summary>
/// <c>/meshes/{mesh}/dataplanes/{name}/_overview</c>: the dataplane with its insight (connected or not,
/// through which gateway, since when, and per xDS type what was sent, acknowledged and rejected).
/// <c>/_config</c>: the config the proxy currently gets, as Envoy JSON.
/// </summary>
public sealed class InspectEndpoints(IGrainFactory grains)
{
    public Task HandleAsync(HttpContext context, ApiRoute route, string tenant) =>
        route.View == "_config" ? ConfigAsync(context, tenant, route.Mesh!, route.Name!) : OverviewAsync(context, tenant, route.Mesh!, route.Name!);

    private async Task OverviewAsync(HttpContext context, string tenant, string mesh, string name)
    {
        var dataplane = await grains.GetGrain<IResourceReaderGrain>(0).Get(new ResourceKey(tenant, ResourceTypes.Dataplane.Name, mesh, name));
        var insight = await grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(tenant, mesh, name)).GetInsight();
        if (dataplane is null && insight is null) throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "DataplaneOverview");
            w.WriteString("mesh", mesh);
            w.WriteString("name", name);
            if (dataplane is not null)
            {
                w.WriteString("creationTime", ResourceJson.FormatTime(dataplane.CreationTime));
                w.WriteString("modificationTime", ResourceJson.FormatTime(dataplane.ModificationTime));
                w.WritePropertyName("dataplane");
                using var spec = JsonDocument.Parse(dataplane.SpecJson);
                spec.RootElement.WriteTo(w);
            }
            w.WriteStartObject("dataplaneInsight");
            w.WriteBoolean("connected", insight?.Connected ?? false);
            w.WriteStartArray("subscriptions");
            if (insight is not null) WriteSubscription(w, insight);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
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
        w.WriteString("responsesSent", insight.Types.Sum(t => t.ResponsesSent).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("responsesAcknowledged", insight.Types.Sum(t => t.ResponsesAcknowledged).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("responsesRejected", insight.Types.Sum(t => t.ResponsesRejected).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
        foreach (var t in insight.Types)
        {
            w.WriteStartObject(TypeUrls.ShortName(t.TypeUrl));
            w.WriteString("responsesSent", t.ResponsesSent.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("responsesAcknowledged", t.ResponsesAcknowledged.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("responsesRejected", t.ResponsesRejected.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (t.LastSentVersion is { } sent) w.WriteString("lastSentVersion", sent);
            if (t.LastAckedVersion is { } acked) w.WriteString("lastAckedVersion", acked);
            if (t.LastNackedVersion is { } nacked) w.WriteString("lastNackedVersion", nacked);
            if (t.LastNackError is { } error) w.WriteString("lastNackError", error);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private async Task ConfigAsync(HttpContext context, string tenant, string mesh, string name)
    {
        var snapshot = await grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, mesh)).GetSnapshot()
            ?? throw new ApiException(StatusCodes.Status404NotFound, "Failed to retrieve Mesh", "Not found");
        if (!snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var dataplanes) || !dataplanes.ContainsKey(name))
            throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
        var dump = ConfigDump.Render(MeshContext.Build(snapshot).ForProxy(name));
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => dump.WriteTo(w));
    }
}
