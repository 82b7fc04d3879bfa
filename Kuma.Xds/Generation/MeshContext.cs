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
    /// <summary>Endpoints of subset clusters, built on first request, like <see cref="_shared"/>.</summary>
    private readonly ConcurrentDictionary<ClusterRef, XdsResource?> _subsetEndpoints = new();
    /// <summary>Units built or reused in this generation, by their inputs.</summary>
    private readonly ConcurrentDictionary<UnitInputs, XdsResource[]> _units = new();
    /// <summary>The previous generation's units (its dictionary only, never its context), reused when inputs are equal.</summary>
    private readonly ConcurrentDictionary<UnitInputs, XdsResource[]>? _previousUnits;
    private readonly ConcurrentDictionary<(string Name, ProxyNode Node), ProxyConfig> _proxies = new();
    private readonly ConcurrentDictionary<(string Type, NamesKey Names), ResourceSet> _selections = new();
    /// <summary>Per service, the dataplanes (parsed specs, in name order) its endpoints come from.</summary>
    private readonly Dictionary<string, List<DataplaneSpec>> _endpointSources = new(StringComparer.Ordinal);
    private readonly Dictionary<DataplaneSpec, string> _dataplaneNames = new(ReferenceEqualityComparer.Instance);

    private MeshContext(MeshSnapshot snapshot, MeshContext? previous)
    {
        Snapshot = snapshot;
        var dataplanes = ImmutableSortedDictionary.CreateBuilder<string, DataplaneSpec>(StringComparer.Ordinal);
        foreach (var resource in snapshot.OfType(ResourceTypes.Dataplane.Name))
            dataplanes[resource.Key.Name] = previous?.Unchanged(resource) ?? ResourceTypes.Dataplane.Parse(resource.SpecJson);
        Dataplanes = dataplanes.ToImmutable();
        foreach (var (name, spec) in Dataplanes) _dataplaneNames[spec] = name;

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
                var sources = _endpointSources.TryGetValue(service, out var known) ? known : _endpointSources[service] = [];
                if (sources.Count == 0 || !ReferenceEquals(sources[^1], dataplane)) sources.Add(dataplane);
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
        Mtls = MtlsState.Of(snapshot.Mesh, mesh.Mtls);
        Policies = MeshPolicies.Build(snapshot, previous?.Policies);
        UsesTagsHeader = KumaTagsHeader.ReadBy.Any(type => snapshot.OfType(type).Any());
        ShapesEndpoints = Kuma.Policies.PolicyTypes.All.Any(t => t.Plugin is { ShapesEndpoints: true } && snapshot.OfType(t.Name).Any());
        Vips = MeshVips.Of(snapshot.ByType.GetValueOrDefault(MeshVips.Type)?.GetValueOrDefault(MeshVips.RecordName(snapshot.Mesh)));
        if (previous is not null)
        {
            _previousUnits = previous._units;
            CarryOver(previous);
        }
    }

    public static MeshContext Build(MeshSnapshot snapshot) => new(snapshot, null);

    /// <summary>
    /// Builds the context of a new generation, taking from the previous one whatever the change did not
    /// touch, so that the work grows with the change rather than with the mesh: parsed dataplanes whose
    /// JSON is the same, and the config of every proxy whose dataplane is the same when nothing it
    /// depends on mesh-wide (service protocols, passthrough) changed. The previous context is not kept.
    /// </summary>
    public static MeshContext Build(MeshSnapshot snapshot, MeshContext? previous) =>
        previous is not null && previous.Snapshot.Tenant == snapshot.Tenant && previous.Snapshot.Mesh == snapshot.Mesh
            ? new(snapshot, previous)
            : new(snapshot, null);

    private DataplaneSpec? Unchanged(StoredResource resource) =>
        Snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var byName)
        && byName.TryGetValue(resource.Key.Name, out var old)
        && string.Equals(old.SpecJson, resource.SpecJson, StringComparison.Ordinal)
        // Labels select policies and name metrics: a proxy whose labels changed is built again.
        && old.Labels.SequenceEqual(resource.Labels)
            ? Dataplanes.GetValueOrDefault(resource.Key.Name)
            : null;

    private void CarryOver(MeshContext previous)
    {
        // Outbound listeners are not carried: the proxies carried over hold theirs, and a cache that only
        // ever grew would keep every listener any past generation had.
        // Service resources depend on the service's name, and endpoints on the dataplanes they come from.
        foreach (var (key, resource) in previous._shared)
        {
            if (resource is not null && Endpoints.ContainsKey(key.Name)
                && (key.Type != TypeUrls.ClusterLoadAssignment || SameSources(previous, key.Name)))
                _shared.TryAdd(key, resource);
        }
        foreach (var (cluster, resource) in previous._subsetEndpoints)
        {
            if (resource is not null && Endpoints.ContainsKey(cluster.Service) && SameSources(previous, cluster.Service))
                _subsetEndpoints.TryAdd(cluster, resource);
        }
        // A proxy whose dataplane is the same keeps its config when every input of it is the same. While the
        // mesh-wide inputs (passthrough, protocols, policies, mTLS) are all unchanged that holds without looking;
        // otherwise its inputs are computed again and compared.
        var sameMeshWide = previous.OutboundPassthrough == OutboundPassthrough && SameProtocols(previous.Protocols, Protocols) && Policies.Unchanged
            && previous.UsesTagsHeader == UsesTagsHeader && Equals(previous.Mtls, Mtls) && SameReadiness(previous)
            && previous.Vips.Equals(Vips);
        foreach (var ((name, node), config) in previous._proxies)
        {
            if (!Dataplanes.TryGetValue(name, out var spec) || !previous.Dataplanes.TryGetValue(name, out var old) || !ReferenceEquals(spec, old)) continue;
            if (sameMeshWide || ProxyConfig.InputsOf(this, name, node).AsSpan().SequenceEqual(config.Inputs.AsSpan()))
                _proxies.TryAdd((name, node), config.For(this));
        }
    }

    private bool SameSources(MeshContext previous, string service)
    {
        var now = _endpointSources.GetValueOrDefault(service) ?? [];
        var before = previous._endpointSources.GetValueOrDefault(service) ?? [];
        return now.Count == before.Count && now.Zip(before).All(p => ReferenceEquals(p.First, p.Second));
    }

    private bool SameReadiness(MeshContext previous) =>
        (previous.Snapshot.TlsReadiness?.Ready, Snapshot.TlsReadiness?.Ready) switch
        {
            (null, null) => true,
            ({ } before, { } now) => before.SetEquals(now),
            _ => false,
        };

    private static bool SameProtocols(ImmutableDictionary<string, string> a, ImmutableDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && other == p.Value);

    public MeshSnapshot Snapshot { get; }
    public long Generation => Snapshot.Generation;
    public ImmutableSortedDictionary<string, DataplaneSpec> Dataplanes { get; }
    /// <summary>Every service the mesh knows (declared by an inbound or wanted by an outbound), with its ready endpoints.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<ServiceEndpoint>> Endpoints { get; }
    public ImmutableDictionary<string, string> Protocols { get; }
    public bool OutboundPassthrough { get; }
    /// <summary>The services' VIPs the mesh grain stored (transparent proxies get an outbound on each).</summary>
    public MeshVips Vips { get; }

    /// <summary>The mesh's mTLS, null when off.</summary>
    public MtlsState? Mtls { get; }

    /// <summary>
    /// The mTLS of connections to <paramref name="service"/>, null for plaintext. STRICT encrypts always. PERMISSIVE, as
    /// Kuma, only toward a service that is TLS ready: every dataplane of it holds a certificate of the enabled backend
    /// (<see cref="MeshSnapshot.TlsReadiness"/>); until then callers keep plaintext, which its inbounds accept.
    /// </summary>
    public MtlsState? OutboundMtls(string service) => Mtls switch
    {
        { Mode: MtlsMode.Strict } => Mtls,
        { Mode: MtlsMode.Permissive } when IsTlsReady(service) => Mtls,
        _ => null,
    };

    /// <summary>Whether callers in this PERMISSIVE mesh encrypt toward <paramref name="service"/> (Kuma's TLS readiness).</summary>
    public bool IsTlsReady(string service) => Snapshot.TlsReadiness?.Ready.Contains(service) == true;

    /// <summary>
    /// The mTLS a proxyless gRPC server of <paramref name="service"/> serves with. gRPC cannot accept mesh mTLS and
    /// plaintext on one port, so under PERMISSIVE it follows its callers: plaintext until the service is TLS ready,
    /// then mTLS required as under STRICT (permissions checked), since every mesh caller then encrypts toward it.
    /// </summary>
    public MtlsState? ProxylessServerMtls(string service) =>
        Mtls is { Mode: MtlsMode.Permissive } && IsTlsReady(service) ? Mtls with { Mode = MtlsMode.Strict } : Mtls;
    public MeshPolicies Policies { get; }
    /// <summary>Whether outbound routes stamp <c>x-kuma-tags</c> (see <see cref="KumaTagsHeader"/>).</summary>
    public bool UsesTagsHeader { get; }
    /// <summary>
    /// Whether the mesh has policies of a type that makes endpoints depend on the caller (locality-aware load
    /// balancing); without any, every proxy's endpoint lookups go straight to the shared selections.
    /// </summary>
    public bool ShapesEndpoints { get; }

    /// <summary>Endpoints that depend on the caller, built once per generation per distinct key and shared by callers with equal keys.</summary>
    internal XdsResource? CallerEndpoints(CallerEndpointsKey key) => _callerEndpoints.GetOrAdd(key, k =>
        Endpoints.TryGetValue(k.Cluster.Service, out var endpoints) ? k.Build(endpoints) : null);

    // Not carried over: the endpoints they hold come from this generation's dataplanes.
    private readonly ConcurrentDictionary<CallerEndpointsKey, XdsResource?> _callerEndpoints = new();

    /// <summary>The merged policy rules for a dataplane of this mesh (shared by every proxy that looks the same to selectors).</summary>
    public ProxyRules RulesFor(string dataplane, DataplaneSpec? spec) => Policies.RulesFor(dataplane, spec ?? NoDataplane, LabelsOf(dataplane));

    /// <summary>What policy selectors see of a dataplane of this mesh.</summary>
    public Kuma.Policies.Rules.ProxyFacts FactsFor(string dataplane, DataplaneSpec spec) => MeshPolicies.Facts(dataplane, spec, LabelsOf(dataplane));

    internal ImmutableSortedDictionary<string, string> LabelsOf(string dataplane) =>
        Snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var byName) && byName.TryGetValue(dataplane, out var resource)
            ? resource.Labels
            : ImmutableSortedDictionary<string, string>.Empty;

    private static readonly DataplaneSpec NoDataplane = new();

    /// <summary>Kuma has no proxyless dataplanes; this label (a value Kuma's own <c>kuma.io/proxy-type</c> lacks) marks one.</summary>
    public const string ProxyTypeLabel = "kuma.io/proxy-type";

    /// <summary>
    /// A listener (routes inline) or cluster a proxyless caller asks for by service name, shaped by the caller's
    /// rules; and when the service's dataplanes are proxyless too (nothing stands at their inbound), by
    /// what their inbound policies would do there.
    /// </summary>
    internal XdsResource? ProxylessResource(ProxyRules rules, string typeUrl, string service)
    {
        if (typeUrl is not (TypeUrls.Listener or TypeUrls.Cluster) || !Endpoints.ContainsKey(service)) return null;
        // Every proxyless stream looks its names up again in each generation; callers that share rules share the inputs.
        var inputs = _proxylessInputs.GetOrAdd((rules, service), key => new ProxylessInputs(key.Service, ProtocolOf(key.Service),
            key.Rules.Outbound(key.Service), DestinationRules(key.Service, key.Rules), ProxylessRouted(key.Rules, key.Service))
        {
            Mtls = OutboundMtls(key.Service),
        });
        return Array.Find(Unit(inputs), r => r.TypeUrl == typeUrl);
    }

    /// <summary>Per caller rule group (compared by reference: one object per group) and service.</summary>
    private readonly ConcurrentDictionary<(ProxyRules Rules, string Service), ProxylessInputs> _proxylessInputs = new();

    /// <summary>The clusters a proxyless caller's routes to <paramref name="service"/> use (its own, or split clusters of routes).</summary>
    internal ClusterRefs ProxylessRouted(ProxyRules rules, string service) => Routed(service, Tags.Empty, rules.Outbound(service), proxyless: true);

    /// <summary>
    /// The clusters an outbound to <paramref name="service"/> routes to under <paramref name="rules"/>. Rule sets are
    /// shared by look-alike proxies, so route plans are made once per rule set and outbound in a generation (they
    /// read service protocols, which a generation fixes).
    /// </summary>
    internal ClusterRefs Routed(string service, Tags tags, OutboundRuleSet rules, bool proxyless = false) =>
        _routed.GetOrAdd(new RoutedKey(rules, service, tags, proxyless), key => ProxyConfig.RoutedClusters(this,
            new Kuma.Policies.OutboundTarget(key.Service, ProtocolOf(key.Service)) { Tags = key.Tags, Proxyless = key.Proxyless }, key.Rules));

    /// <summary>Rule sets by reference: equal ones are usually the same object, and their value keys are long to hash.</summary>
    private readonly record struct RoutedKey(OutboundRuleSet Rules, string Service, Tags Tags, bool Proxyless)
    {
        public bool Equals(RoutedKey other) =>
            ReferenceEquals(Rules, other.Rules) && Service == other.Service && Tags.Equals(other.Tags) && Proxyless == other.Proxyless;
        public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Rules), Service, Tags, Proxyless);
    }

    private readonly ConcurrentDictionary<RoutedKey, ClusterRefs> _routed = new();

    /// <summary>The service a listener or cluster name stands for (a service's own name, or a split cluster's), if any.</summary>
    public string? ServiceOfCluster(string name) =>
        Endpoints.ContainsKey(name) ? name : SplitService(name);

    // Split names are "<service>-<16 hex digits>" (ClusterRef.SplitName).
    internal string? SplitService(string name) =>
        name.Length >= 18 && name[^17] == '-' && Endpoints.ContainsKey(name[..^17]) ? name[..^17] : null;

    /// <summary>A split cluster a proxyless caller's routes name, asked for by that name.</summary>
    internal XdsResource? ProxylessSplit(ProxyRules rules, string typeUrl, string name)
    {
        if (SplitService(name) is not { } service) return null;
        var cluster = ProxylessRouted(rules, service).Items.FirstOrDefault(c => c.Name == name);
        if (cluster is null) return null;
        return typeUrl switch
        {
            TypeUrls.Cluster => Unit(new OutboundClusterInputs(cluster, ProtocolOf(service), rules.Outbound(service)) { ForGrpc = true, Mtls = OutboundMtls(service) })[0],
            TypeUrls.ClusterLoadAssignment => SubsetEndpoints(cluster),
            _ => null,
        };
    }

    /// <summary>The inbound rules of the first proxyless dataplane serving <paramref name="service"/>, as they apply to this caller.</summary>
    private OutboundRuleSet? DestinationRules(string service, ProxyRules caller) =>
        ProxylessDestination(service, caller) is { } destination
            ? OutboundRuleSet.Of(destination.Rules.Rules.Select((r, t) => r.ConfForCaller(destination.CallerTags, Kuma.Policies.PolicyTypes.All[t].Merge)))
            : null;

    /// <summary>
    /// The inbound rules of the first proxyless dataplane serving <paramref name="service"/> (what its proxyless
    /// callers apply in its place), and the tags the caller is matched by in their <c>from</c> entries.
    /// </summary>
    internal (InboundRuleSet Rules, IReadOnlyDictionary<string, string> CallerTags)? ProxylessDestination(string service, ProxyRules caller)
    {
        foreach (var source in _endpointSources.GetValueOrDefault(service) ?? [])
        {
            var name = _dataplaneNames.GetValueOrDefault(source);
            if (name is null || !IsProxyless(name)) continue;
            var inbound = source.Networking!.Inbound!.First(i => i.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) == service);
            var facts = new Kuma.Policies.Rules.InboundFacts(inbound.Name ?? "", inbound.Port ?? 0, inbound.Tags!);
            var callerTags = caller.Facts.Inbounds.FirstOrDefault()?.Tags ?? ImmutableDictionary<string, string>.Empty;
            return (RulesFor(name, source).Inbound(facts), callerTags);
        }
        return null;
    }

    /// <summary>
    /// The server listener a proxyless gRPC server asks for by <paramref name="name"/>: only a proxyless dataplane's
    /// own, for the port of one of its inbounds; null for any other name (another port, garbage) or dataplane.
    /// </summary>
    internal XdsResource? ProxylessServerListener(string dataplane, ProxyRules rules, string name)
    {
        if (ProxylessServer.Parse(name) is not { } address || !IsProxyless(dataplane) || !Dataplanes.TryGetValue(dataplane, out var spec)) return null;
        var inbound = spec.Networking?.Inbound?.FirstOrDefault(i => i.Port == address.Port && i.State != "Ignored"
            && i.Tags?.ContainsKey(ServiceEndpoint.ServiceTag) == true);
        if (inbound is null) return null;
        var facts = new Kuma.Policies.Rules.InboundFacts(inbound.Name ?? "", address.Port, inbound.Tags!);
        var service = inbound.Tags![ServiceEndpoint.ServiceTag];
        return Unit(new ProxylessServerInputs(address.Host, address.Port, service, rules.Inbound(facts)) { Mtls = ProxylessServerMtls(service) })[0];
    }

    internal bool IsProxyless(string dataplane) =>
        Snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var byName) && byName.TryGetValue(dataplane, out var resource)
        && resource.Labels.GetValueOrDefault(ProxyTypeLabel) == "proxyless";

    /// <summary>The resources of one unit, built once per distinct inputs and reused from the previous generation.</summary>
    internal XdsResource[] Unit(UnitInputs inputs) => _units.GetOrAdd(inputs, key =>
        _previousUnits is not null && _previousUnits.TryGetValue(key, out var built) ? built : ResourceUnits.Build(key, ListenerTemplate));

    /// <summary>
    /// An outbound listener as plugins shape it, before the caller's <c>x-kuma-tags</c> is stamped on it: callers
    /// differ in their tags, not in what policies do to the outbound, so plugins run once per distinct template
    /// in a generation and each caller's variant is a copy with its header (see <see cref="KumaTagsHeader.Stamp"/>).
    /// </summary>
    private ListenerTemplate ListenerTemplate(OutboundListenerInputs inputs) =>
        _listenerTemplates.GetOrAdd(inputs, ResourceUnits.OutboundListenerTemplate);

    private readonly ConcurrentDictionary<OutboundListenerInputs, ListenerTemplate> _listenerTemplates = new();

    public string ProtocolOf(string service) => Protocols.GetValueOrDefault(service) ?? "tcp";

    /// <summary>The config of one proxy; built on first use in this generation, then shared by its streams.</summary>
    public ProxyConfig ForProxy(string dataplaneName, ProxyNode? node = null) =>
        _proxies.GetOrAdd((dataplaneName, node ?? ProxyNode.None), key => ProxyConfig.Build(this, key.Name, key.Node));

    /// <summary>The proxy's config if it was already built in this generation; null otherwise.</summary>
    public ProxyConfig? TryGetBuilt(string dataplaneName, ProxyNode? node = null) => _proxies.GetValueOrDefault((dataplaneName, node ?? ProxyNode.None));

    /// <summary>A service's endpoints, the same for every proxy, built once per generation.</summary>
    public XdsResource? Shared(string typeUrl, string name) => _shared.GetOrAdd((typeUrl, name), key =>
        key.Type == TypeUrls.ClusterLoadAssignment && Endpoints.TryGetValue(key.Name, out var endpoints)
            ? XdsResource.Encode(key.Name, ServiceResources.Endpoints(key.Name, endpoints))
            : null);

    /// <summary>The endpoints of a subset cluster: the service's endpoints that carry every tag of the subset, under the cluster's name.</summary>
    internal XdsResource? SubsetEndpoints(ClusterRef cluster) => _subsetEndpoints.GetOrAdd(cluster, key =>
        Endpoints.TryGetValue(key.Service, out var endpoints)
            ? XdsResource.Encode(key.Name, ServiceResources.Endpoints(key.Name, [.. endpoints.Where(e => key.Selects(e.Tags))]))
            : null);

    /// <summary>
    /// Service resources by name, selected once per generation for all proxies asking for the same names; endpoints
    /// of split clusters are found through <paramref name="subsets"/> (the asking proxy's, by cluster name).
    /// </summary>
    internal ResourceSet SharedSelection(string typeUrl, NamesKey names, IReadOnlyDictionary<string, ClusterRef>? subsets = null) =>
        _selections.GetOrAdd((typeUrl, names), key =>
        {
            var found = new List<XdsResource>(key.Names.Names.Length);
            foreach (var name in key.Names.Names)
            {
                var resource = Endpoints.ContainsKey(name) ? Shared(key.Type, name)
                    : subsets?.GetValueOrDefault(name) is { } subset ? SubsetEndpoints(subset) : null;
                if (resource is not null) found.Add(resource);
            }
            return new ResourceSet([.. found]);
        });
}
