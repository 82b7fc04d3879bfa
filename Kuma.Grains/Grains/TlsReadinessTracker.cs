using System.Collections.Immutable;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Grains;

/// <summary>
/// Kuma's TLS readiness of a PERMISSIVE mesh's services, as its mesh grain keeps it in memory: the backend that signed
/// each dataplane's latest leaf, and from that the services every dataplane of which (any inbound not ignored, or
/// its gateway) holds a leaf of the enabled backend. Online or not makes no difference, as in Kuma. Nothing is kept
/// while the mesh is not PERMISSIVE: there callers encrypt always (STRICT) or never (mTLS off).
/// </summary>
internal sealed class TlsReadinessTracker
{
    private static readonly ImmutableSortedSet<string> None = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Per dataplane, the backend of its latest leaf.</summary>
    private readonly Dictionary<string, string> _issued = new(StringComparer.Ordinal);
    /// <summary>Per dataplane, the services it counts for, parsed once per stored version.</summary>
    private readonly Dictionary<string, (StoredResource Resource, ImmutableArray<string> Services)> _servicesOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _dataplanesOf = new(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, StoredResource>? _indexed;
    private StoredResource? _meshResource;
    private string? _meshUid;
    /// <summary>The enabled backend while the mesh is PERMISSIVE; null otherwise.</summary>
    private string? _enabled;

    public ImmutableSortedSet<string> Ready { get; private set; } = None;

    /// <summary>Brings the record in line with <paramref name="snapshot"/>: the ready services, or null when the mesh is not PERMISSIVE.</summary>
    public ImmutableSortedSet<string>? Update(MeshSnapshot snapshot)
    {
        if (!ReferenceEquals(snapshot.MeshResource, _meshResource))
        {
            _meshResource = snapshot.MeshResource;
            var backend = MtlsFacts.EnabledBackend(ResourceTypes.Mesh.Parse(snapshot.MeshResource.SpecJson));
            var enabled = backend is not null && MtlsFacts.IsPermissive(backend) ? backend.Name : null;
            // Another incarnation of the mesh: nothing its namesake was issued counts.
            if (enabled is null || _meshUid != snapshot.MeshResource.Uid) Forget();
            _meshUid = snapshot.MeshResource.Uid;
            if (enabled != _enabled) _indexed = null;
            _enabled = enabled;
        }
        if (_enabled is null) return null;
        var dataplanes = snapshot.ByType.GetValueOrDefault(ResourceTypes.Dataplane.Name) ?? ImmutableSortedDictionary<string, StoredResource>.Empty;
        if (!ReferenceEquals(dataplanes, _indexed)) Index(dataplanes);
        return Ready;
    }

    /// <summary>Records the backend of a dataplane's new leaf; true when that changed which services are ready.</summary>
    public bool Record(string dataplane, string backend)
    {
        if (_enabled is null || !_servicesOf.TryGetValue(dataplane, out var entry)) return false;
        if (_issued.TryGetValue(dataplane, out var known) && known == backend) return false;
        _issued[dataplane] = backend;
        return Recompute(entry.Services);
    }

    /// <summary>
    /// Takes <paramref name="ready"/> as what an earlier record of this same mesh state held (a mesh grain activated
    /// anew learns it from the gateways that kept it): every dataplane of those services holds a leaf of the enabled
    /// backend. True when that changed which services are ready.
    /// </summary>
    public bool Adopt(IEnumerable<string> ready)
    {
        if (_enabled is null) return false;
        var services = new List<string>();
        foreach (var service in ready)
        {
            if (!_dataplanesOf.TryGetValue(service, out var dataplanes)) continue;
            foreach (var dataplane in dataplanes) _issued.TryAdd(dataplane, _enabled);
            services.Add(service);
        }
        return Recompute(services);
    }

    private bool Recompute(IEnumerable<string> services)
    {
        var ready = Ready;
        foreach (var service in services) ready = IsReady(service) ? ready.Add(service) : ready.Remove(service);
        if (ReferenceEquals(ready, Ready)) return false;
        Ready = ready;
        return true;
    }

    private bool IsReady(string service) =>
        _dataplanesOf.TryGetValue(service, out var dataplanes) && dataplanes.TrueForAll(d => _issued.GetValueOrDefault(d) == _enabled);

    private void Index(ImmutableSortedDictionary<string, StoredResource> dataplanes)
    {
        // A deleted dataplane no longer counts, and one created again under its name starts without a leaf.
        foreach (var gone in _servicesOf.Keys.Where(name => !dataplanes.ContainsKey(name)).ToList())
        {
            _servicesOf.Remove(gone);
            _issued.Remove(gone);
        }
        _dataplanesOf.Clear();
        foreach (var (name, resource) in dataplanes)
        {
            if (!_servicesOf.TryGetValue(name, out var entry) || !ReferenceEquals(entry.Resource, resource))
                _servicesOf[name] = entry = (resource, ServicesOf(ResourceTypes.Dataplane.Parse(resource.SpecJson)));
            foreach (var service in entry.Services)
            {
                if (!_dataplanesOf.TryGetValue(service, out var list)) _dataplanesOf[service] = list = [];
                list.Add(name);
            }
        }
        _indexed = dataplanes;
        var ready = None.ToBuilder();
        foreach (var service in _dataplanesOf.Keys)
        {
            if (IsReady(service)) ready.Add(service);
        }
        Ready = ready.ToImmutable();
    }

    /// <summary>The services a dataplane counts for in Kuma's service insight: its gateway's, or those of its inbounds not ignored.</summary>
    private static ImmutableArray<string> ServicesOf(DataplaneSpec spec)
    {
        var net = spec.Networking;
        if (net?.Gateway?.Tags?.GetValueOrDefault(TagRules.ServiceTag) is { } gateway) return [gateway];
        return [.. (net?.Inbound ?? []).Where(i => i.State != "Ignored")
            .Select(i => i.Tags?.GetValueOrDefault(TagRules.ServiceTag)).OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    private void Forget()
    {
        _issued.Clear();
        _servicesOf.Clear();
        _dataplanesOf.Clear();
        _indexed = null;
        Ready = None;
    }
}
