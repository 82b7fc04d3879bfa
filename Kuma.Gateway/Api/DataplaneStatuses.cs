using System.Collections.Immutable;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;

namespace Kuma.Gateway.Api;

/// <summary>Kuma's status of a dataplane: its proxy's connection, then how many of its inbounds are ready.</summary>
public enum DataplaneStatus
{
    Online,
    PartiallyDegraded,
    Offline,
}

/// <summary>A dataplane as the insight endpoints see it: stored resource, parsed spec, and its session's insight (null when none).</summary>
public sealed record DataplaneView(StoredResource Resource, DataplaneSpec Spec, DataplaneInsight? Insight)
{
    public string Name => Resource.Key.Name;

    public bool Online => Insight?.Connected == true;

    /// <summary>"BUILTIN" or "DELEGATED" (Kuma's default when a gateway names no type); null when not a gateway.</summary>
    public string? GatewayType => GatewayTypeOf(Spec);

    public static string? GatewayTypeOf(DataplaneSpec spec) => spec.Networking?.Gateway is { } gateway
        ? string.Equals(gateway.Type, "BUILTIN", StringComparison.OrdinalIgnoreCase) ? "BUILTIN" : "DELEGATED"
        : null;

    /// <summary>
    /// As Kuma decides it: a gateway is online with its proxy; otherwise each inbound that is not marked unhealthy
    /// or NotReady, and each listener in state Ready, counts as ready. Offline when the proxy is away or nothing is
    /// ready (a dataplane with no inbounds included), partially degraded when some are not.
    /// </summary>
    public DataplaneStatus Status
    {
        get
        {
            var networking = Spec.Networking;
            if (networking?.Gateway is not null) return Online ? DataplaneStatus.Online : DataplaneStatus.Offline;
            var inbounds = networking?.Inbound ?? [];
            var listeners = networking?.Listeners ?? [];
            var ready = inbounds.Count(i => !(i.Health is { Ready: not true } || i.State == "NotReady"))
                + listeners.Count(l => l.State == "Ready");
            if (!Online || ready == 0) return DataplaneStatus.Offline;
            return ready < inbounds.Count + listeners.Count ? DataplaneStatus.PartiallyDegraded : DataplaneStatus.Online;
        }
    }

    /// <summary>The Envoy version a sidecar's node reports; what we cannot know is Kuma's "unknown".</summary>
    public string EnvoyVersion => Insight?.Client is { UserAgentName: "envoy", UserAgentVersion: { Length: > 0 } version } ? version : Unknown;

    public const string Unknown = "unknown";
}

/// <summary>Reads the insights of many dataplanes from their session grains.</summary>
public static class DataplaneStatuses
{
    /// <summary>
    /// Session grains asked at once by one request. A mesh may hold thousands of dataplanes: the whole read is
    /// bounded by the tenant's dataplane quota, and this keeps one request from flooding the cluster meanwhile.
    /// </summary>
    public const int ReadsInFlight = 32;

    public static async Task<ImmutableArray<DataplaneView>> ReadAsync(
        IGrainFactory grains, string tenant, string mesh, IReadOnlyList<(StoredResource Resource, DataplaneSpec Spec)> dataplanes, CancellationToken cancellation)
    {
        var views = new DataplaneView[dataplanes.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, dataplanes.Count), new ParallelOptions { MaxDegreeOfParallelism = ReadsInFlight, CancellationToken = cancellation },
            async (i, _) =>
            {
                var (resource, spec) = dataplanes[i];
                var insight = await grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(tenant, mesh, resource.Key.Name)).GetInsight();
                views[i] = new DataplaneView(resource, spec, insight);
            });
        return [.. views];
    }

    /// <summary>The mesh's dataplanes in name order, parsed from its snapshot.</summary>
    public static IReadOnlyList<(StoredResource Resource, DataplaneSpec Spec)> Parse(MeshSnapshot snapshot) =>
        [.. snapshot.OfType(ResourceTypes.Dataplane.Name).Select(r => (r, ResourceTypes.Dataplane.Parse(r.SpecJson)))];
}
