using System.Collections.Concurrent;
using System.Collections.Immutable;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// Everything a node derives from one mesh generation, computed at most once per generation and
/// shared by all proxies of the mesh: the service catalogue and the encoded resources built from it.
/// A proxy's config is a pure function of this context and its dataplane; nothing of another mesh is
/// ever an input.
/// </summary>
public sealed class MeshContext
{
    private readonly ConcurrentDictionary<(string Type, string Name), XdsResource?> _shared = new();
    private readonly ConcurrentDictionary<string, XdsResource> _outboundListeners = new();
    private readonly ConcurrentDictionary<string, ProxyConfig> _proxies = new();

    private MeshContext(MeshSnapshot snapshot)
    {
        Snapshot = snapshot;
        var dataplanes = ImmutableSortedDictionary.CreateBuilder<string, DataplaneSpec>(StringComparer.Ordinal);
        foreach (var resource in snapshot.OfType(ResourceTypes.Dataplane.Name))
            dataplanes[resource.Key.Name] = ResourceTypes.Dataplane.Parse(resource.SpecJson);
        Dataplanes = dataplanes.ToImmutable();

        var endpoints = new Dictionary<string, List<ServiceEndpoint>>(StringComparer.Ordinal);
        var protocols = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, dataplane) in Dataplanes)
        {
            var net = dataplane.Networking;
            if (net is null) continue;
            foreach (var inbound in net.Inbound ?? [])
            {
                if (inbound.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) is not { } service) continue;
                var list = endpoints.TryGetValue(service, out var l) ? l : endpoints[service] = [];
                var protocol = inbound.Protocol ?? inbound.Tags.GetValueOrDefault(ServiceEndpoint.ProtocolTag);
                if (protocol is not null) protocols.TryAdd(service, protocol.ToLowerInvariant());
                if (inbound.Health?.Ready == false || inbound.State is "NotReady" or "Ignored") continue;
                var address = net.AdvertisedAddress ?? inbound.Address ?? net.Address!;
                list.Add(new ServiceEndpoint(address, inbound.Port!.Value, inbound.Tags.ToImmutableSortedDictionary(StringComparer.Ordinal)));
            }
            foreach (var outbound in net.Outbound ?? [])
            {
                if (outbound.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) is { } service && !endpoints.ContainsKey(service))
                    endpoints[service] = [];
            }
        }
        Endpoints = endpoints.ToImmutableSortedDictionary(e => e.Key, e => ServiceResources.Sorted(e.Value), StringComparer.Ordinal);
        Protocols = protocols.ToImmutableDictionary(StringComparer.Ordinal);
        var mesh = ResourceTypes.Mesh.Parse(snapshot.MeshResource.SpecJson);
        OutboundPassthrough = mesh.Networking?.Outbound?.Passthrough ?? true;
    }

    public static MeshContext Build(MeshSnapshot snapshot) => new(snapshot);

    public MeshSnapshot Snapshot { get; }
    public long Generation => Snapshot.Generation;
    public ImmutableSortedDictionary<string, DataplaneSpec> Dataplanes { get; }
    /// <summary>Every service the mesh knows (declared by an inbound or wanted by an outbound), with its ready endpoints.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<ServiceEndpoint>> Endpoints { get; }
    public ImmutableDictionary<string, string> Protocols { get; }
    public bool OutboundPassthrough { get; }

    public string ProtocolOf(string service) => Protocols.GetValueOrDefault(service) ?? "tcp";

    /// <summary>The config of one proxy; built on first use in this generation, then shared by its streams.</summary>
    public ProxyConfig ForProxy(string dataplaneName) => _proxies.GetOrAdd(dataplaneName, name => ProxyConfig.Build(this, name));

    /// <summary>Resources named after a service, the same for every proxy: cluster, endpoints, proxyless listener and route.</summary>
    public XdsResource? Shared(string typeUrl, string name) => _shared.GetOrAdd((typeUrl, name), key =>
    {
        if (!Endpoints.TryGetValue(key.Name, out var endpoints)) return null;
        return key.Type switch
        {
            TypeUrls.Cluster => XdsResource.Encode(key.Name, ServiceResources.Cluster(key.Name)),
            TypeUrls.ClusterLoadAssignment => XdsResource.Encode(key.Name, ServiceResources.Endpoints(key.Name, endpoints)),
            TypeUrls.Listener => XdsResource.Encode(key.Name, ServiceResources.ApiListener(key.Name)),
            TypeUrls.RouteConfiguration => XdsResource.Encode(key.Name, ServiceResources.ProxylessRoute(key.Name)),
            _ => null,
        };
    });

    internal XdsResource OutboundListener(string address, uint port, string service, IEnumerable<KeyValuePair<string, string>> tags, bool transparent)
    {
        var protocol = ProtocolOf(service);
        var key = $"{address}|{port}|{service}|{protocol}|{transparent}|{string.Join(',', tags.Select(t => $"{t.Key}={t.Value}"))}";
        return _outboundListeners.GetOrAdd(key, _ =>
        {
            var listener = SidecarResources.Outbound(address, port, service, protocol, tags, transparent);
            return XdsResource.Encode(listener.Name, listener);
        });
    }
}
