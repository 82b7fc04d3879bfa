using System.Collections.Immutable;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// What one proxy may receive in one mesh generation: its own listeners and clusters (what a wildcard
/// subscription gets) and, by name, any service resource of the mesh (what proxyless clients and
/// Envoy's EDS ask for).
/// </summary>
public sealed class ProxyConfig
{
    private readonly MeshContext _mesh;
    private readonly ImmutableDictionary<string, ImmutableSortedDictionary<string, XdsResource>> _own;
    private readonly ImmutableDictionary<string, ResourceSet> _wildcard;

    private ProxyConfig(MeshContext mesh, string dataplane, ImmutableDictionary<string, ImmutableSortedDictionary<string, XdsResource>> own,
        ImmutableDictionary<string, ResourceSet>? wildcard = null)
    {
        _mesh = mesh;
        Dataplane = dataplane;
        _own = own;
        // The same array for as long as the proxy's own resources stay the same, so streams see "unchanged" at a glance.
        _wildcard = wildcard ?? own.ToImmutableDictionary(t => t.Key, t => new ResourceSet([.. t.Value.Values]));
    }

    public string Dataplane { get; }
    public long Generation => _mesh.Generation;
    public bool DataplaneExists => _mesh.Dataplanes.ContainsKey(Dataplane);

    /// <summary>What a wildcard subscription to <paramref name="typeUrl"/> holds.</summary>
    public ResourceSet Wildcard(string typeUrl) =>
        _wildcard.TryGetValue(typeUrl, out var sorted) ? sorted : ResourceSet.Empty;

    /// <summary>
    /// The resources with these names, in name order. Types a proxy has none of its own of (endpoints,
    /// routes) are the same for every proxy asking for the same names, so the mesh selects them once.
    /// </summary>
    public ResourceSet Named(string typeUrl, NamesKey names)
    {
        if (!_own.ContainsKey(typeUrl)) return _mesh.SharedSelection(typeUrl, names);
        var found = new List<XdsResource>(names.Names.Length);
        foreach (var name in names.Names)
        {
            if (Find(typeUrl, name) is { } r) found.Add(r);
        }
        return new ResourceSet([.. found]);
    }

    public XdsResource? Find(string typeUrl, string name) =>
        _own.TryGetValue(typeUrl, out var byName) && byName.TryGetValue(name, out var own) ? own : _mesh.Shared(typeUrl, name);

    /// <summary>The same config in a later generation whose changes do not touch it; by-name lookups use the new one.</summary>
    internal ProxyConfig For(MeshContext mesh) => new(mesh, Dataplane, _own, _wildcard);

    internal static ProxyConfig Build(MeshContext mesh, string dataplane)
    {
        var listeners = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        var clusters = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        if (mesh.Dataplanes.TryGetValue(dataplane, out var spec) && spec.Networking is { } net)
        {
            var transparent = net.TransparentProxying is { RedirectPortInbound: > 0, RedirectPortOutbound: > 0 };
            foreach (var inbound in net.Inbound ?? [])
            {
                if (inbound.State == "Ignored") continue;
                var (listener, local) = SidecarResources.Inbound(net, inbound, transparent);
                listeners[listener.Name] = XdsResource.Encode(listener.Name, listener);
                clusters[local.Name] = XdsResource.Encode(local.Name, local);
            }
            foreach (var outbound in net.Outbound ?? [])
            {
                if (outbound.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) is not { } service) continue;
                var listener = mesh.OutboundListener(outbound.Address ?? "127.0.0.1", outbound.Port!.Value, service, outbound.Tags, transparent);
                listeners[listener.Name] = listener;
                if (mesh.Shared(TypeUrls.Cluster, service) is { } cluster) clusters[service] = cluster;
            }
            if (net.TransparentProxying is { } tp)
            {
                foreach (var (listener, cluster) in SidecarResources.Passthrough(tp, mesh.OutboundPassthrough))
                {
                    listeners[listener.Name] = XdsResource.Encode(listener.Name, listener);
                    if (cluster is not null) clusters[cluster.Name] = XdsResource.Encode(cluster.Name, cluster);
                }
            }
        }
        var own = ImmutableDictionary<string, ImmutableSortedDictionary<string, XdsResource>>.Empty
            .Add(TypeUrls.Listener, listeners.ToImmutable())
            .Add(TypeUrls.Cluster, clusters.ToImmutable());
        return new ProxyConfig(mesh, dataplane, own);
    }
}
