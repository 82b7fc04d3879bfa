using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>
/// Resources that depend on a service of the mesh and nothing about the proxy asking: its cluster (before
/// policies shape it) and its endpoints.
/// </summary>
internal static class ServiceResources
{
    public static Cluster Cluster(string service) => new()
    {
        Name = service,
        Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Envoy.Config.Cluster.V3.Cluster.Types.EdsClusterConfig { EdsConfig = EnvoyBuild.Ads() },
        ConnectTimeout = EnvoyBuild.Seconds(5),
        LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin,
        // Sidecar to sidecar traffic is HTTP/2 whatever the application speaks (as in Kuma).
        TypedExtensionProtocolOptions = { [EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions() },
    };

    /// <summary>One locality per zone (proxyless clients need localities set and never repeated).</summary>
    public static ClusterLoadAssignment Endpoints(string service, IReadOnlyList<ServiceEndpoint> endpoints)
    {
        var assignment = new ClusterLoadAssignment { ClusterName = service };
        foreach (var zone in endpoints.GroupBy(e => e.Zone).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var locality = new LocalityLbEndpoints
            {
                Locality = new Locality { Zone = zone.Key },
                LoadBalancingWeight = (uint)zone.Count(),
            };
            foreach (var e in zone.OrderBy(e => e.Address, StringComparer.Ordinal).ThenBy(e => e.Port))
            {
                locality.LbEndpoints.Add(new LbEndpoint
                {
                    Endpoint = new Endpoint { Address = EnvoyBuild.SocketAddress(e.Address, e.Port) },
                    LoadBalancingWeight = 1,
                    Metadata = EnvoyBuild.Tags(e.Tags.Where(t => t.Key != ServiceEndpoint.ServiceTag), "envoy.lb"),
                });
            }
            assignment.Endpoints.Add(locality);
        }
        return assignment;
    }

    public static ImmutableArray<ServiceEndpoint> Sorted(IEnumerable<ServiceEndpoint> endpoints) =>
        [.. endpoints.OrderBy(e => e.Address, StringComparer.Ordinal).ThenBy(e => e.Port)];
}
