using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>The clusters of the OpenTelemetry collectors a proxy's access logs go to, one per distinct collector.</summary>
public static class OtelCollectors
{
    /// <summary>Kuma's name for the <paramref name="index"/>th collector a proxy logs to.</summary>
    public static string ClusterName(int index) => $"meshaccesslog:opentelemetry:{index}";

    /// <summary>Each distinct collector in the confs' backends, numbered from 0 in order of first appearance.</summary>
    public static Dictionary<(string Host, uint Port), int> Number(IEnumerable<MeshAccessLogConf> confs)
    {
        var numbered = new Dictionary<(string Host, uint Port), int>();
        foreach (var conf in confs)
        {
            foreach (var backend in conf.Backends ?? [])
            {
                if (backend is { Type: BackendTypes.OpenTelemetry, OpenTelemetry: { } otel } && AccessLogEntries.Collector(otel) is { } collector)
                    numbered.TryAdd(collector, numbered.Count);
            }
        }
        return numbered;
    }

    /// <summary>The collector a unit named by its token (see <see cref="AccessLogEntries.CollectorClusterToken"/>), or null.</summary>
    public static (string Host, uint Port)? FromToken(string clusterName)
    {
        if (!clusterName.StartsWith(Placeholders.CollectorCluster, StringComparison.Ordinal)) return null;
        var endpoint = clusterName[Placeholders.CollectorCluster.Length..];
        var colon = endpoint.LastIndexOf(':');
        return colon > 0 && uint.TryParse(endpoint[(colon + 1)..], out var port) ? (endpoint[..colon], port) : null;
    }

    /// <summary>
    /// As Kuma builds it: a static cluster for an IP address, strict DNS otherwise (IPv4 only unless the proxy has an
    /// IPv6 address), Kuma's 5 s connect timeout, HTTP/2 for gRPC.
    /// </summary>
    public static Cluster ClusterFor((string Host, uint Port) collector, int index, bool ipv6Proxy)
    {
        var name = ClusterName(index);
        var cluster = new Cluster
        {
            Name = name,
            AltStatName = name.Replace(':', '_'),
            ConnectTimeout = EnvoyBuild.Seconds(5),
            LoadAssignment = new ClusterLoadAssignment
            {
                ClusterName = name,
                Endpoints =
                {
                    new LocalityLbEndpoints
                    {
                        LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = EnvoyBuild.SocketAddress(collector.Host, collector.Port) } } },
                    },
                },
            },
            TypedExtensionProtocolOptions = { [EnvoyBuild.Http2OptionsKey] = EnvoyBuild.Http2ProtocolOptions() },
        };
        if (IPAddress.TryParse(collector.Host, out _))
        {
            cluster.Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Static;
        }
        else
        {
            cluster.Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.StrictDns;
            cluster.DnsLookupFamily = ipv6Proxy ? Envoy.Config.Cluster.V3.Cluster.Types.DnsLookupFamily.Auto : Envoy.Config.Cluster.V3.Cluster.Types.DnsLookupFamily.V4Only;
        }
        return cluster;
    }
}
