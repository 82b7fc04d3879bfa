using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Policies;
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
    /// <summary>
    /// This proxy's subset clusters by name. Their endpoints are the mesh's, but only a proxy that routes to a
    /// subset knows which tags its hashed name stands for, so endpoint lookups by such a name go through here.
    /// </summary>
    private readonly ImmutableDictionary<string, ClusterRef> _subsets;

    private ProxyConfig(MeshContext mesh, string dataplane, ImmutableArray<UnitInputs> inputs,
        ImmutableDictionary<string, ImmutableSortedDictionary<string, XdsResource>> own, ImmutableDictionary<string, ResourceSet>? wildcard = null,
        ImmutableDictionary<string, ClusterRef>? subsets = null, ImmutableArray<PolicyError> errors = default)
    {
        PolicyErrors = errors.IsDefault ? [] : errors;
        _mesh = mesh;
        Dataplane = dataplane;
        Inputs = inputs;
        _own = own;
        // Carried over with the config: it is a function of the inputs, and a big proxy has hundreds.
        _subsets = subsets ?? inputs.OfType<OutboundClusterInputs>().Where(c => !c.Cluster.Subset.Values.IsEmpty)
            .ToImmutableDictionary(c => c.Cluster.Name, c => c.Cluster, StringComparer.Ordinal);
        // The same array for as long as the proxy's own resources stay the same, so streams see "unchanged" at a glance.
        _wildcard = wildcard ?? own.ToImmutableDictionary(t => t.Key, t => new ResourceSet([.. t.Value.Values]));
    }

    public string Dataplane { get; }

    /// <summary>Parts of policies that failed to apply to this proxy and were left out of its resources.</summary>
    public ImmutableArray<PolicyError> PolicyErrors { get; }

    /// <summary>What this config was built from; a later generation with equal inputs reuses it as is.</summary>
    public ImmutableArray<UnitInputs> Inputs { get; }
    public long Generation => _mesh.Generation;
    public bool DataplaneExists => _mesh.Dataplanes.ContainsKey(Dataplane);

    /// <summary>What a wildcard subscription to <paramref name="typeUrl"/> holds.</summary>
    public ResourceSet Wildcard(string typeUrl) =>
        _wildcard.TryGetValue(typeUrl, out var sorted) ? sorted : ResourceSet.Empty;

    /// <summary>
    /// The resources with these names, in name order. Endpoints are the same for every proxy asking for the
    /// same names, so the mesh selects them once; listeners, routes and clusters asked for by service name
    /// (what proxyless clients do) follow this caller's policies.
    /// </summary>
    public ResourceSet Named(string typeUrl, NamesKey names)
    {
        // Split cluster names are a function of service and subset tags, so proxies asking for the same names
        // (with routes to subsets, every proxy of a big mesh asks for hundreds) share one selection too.
        if (typeUrl == TypeUrls.ClusterLoadAssignment && names.Names.All(n => _mesh.Endpoints.ContainsKey(n) || _subsets.ContainsKey(n))
            && (!_mesh.ShapesEndpoints || names.Names.All(n => CallerEndpointsKeyOf(n) is null)))
            return _mesh.SharedSelection(typeUrl, names, _subsets);
        var found = new List<XdsResource>(names.Names.Length);
        foreach (var name in names.Names)
        {
            if (Find(typeUrl, name) is { } r) found.Add(r);
        }
        return new ResourceSet([.. found]);
    }

    public XdsResource? Find(string typeUrl, string name)
    {
        // Secrets are the stream's own, by exact name: never the mesh's, never by wildcard.
        if (typeUrl == TypeUrls.Secret) return _secrets.GetValueOrDefault(name);
        if (_own.TryGetValue(typeUrl, out var byName) && byName.TryGetValue(name, out var own)) return own;
        if (typeUrl == TypeUrls.Listener && name.StartsWith(ProxylessServer.NamePrefix, StringComparison.Ordinal))
            return _mesh.ProxylessServerListener(Dataplane, Rules, name);
        if (typeUrl == TypeUrls.ClusterLoadAssignment && _mesh.ShapesEndpoints && CallerEndpointsKeyOf(name) is { } callerKey)
            return _mesh.CallerEndpoints(callerKey);
        if (typeUrl == TypeUrls.ClusterLoadAssignment && _subsets.TryGetValue(name, out var subset)) return _mesh.SubsetEndpoints(subset);
        if (typeUrl == TypeUrls.ClusterLoadAssignment && _mesh.Endpoints.ContainsKey(name)) return _mesh.Shared(typeUrl, name);
        return _mesh.ProxylessResource(Rules, typeUrl, name) ?? _mesh.ProxylessSplit(Rules, typeUrl, name);
    }

    /// <summary>
    /// The key of this caller's own endpoints for the cluster named <paramref name="name"/>, or null when it gets
    /// what every caller gets. Asked only in meshes with endpoint-shaping policies; remembered per name for the
    /// life of this config (a later generation gets a new config object, so a fresh answer).
    /// </summary>
    private CallerEndpointsKey? CallerEndpointsKeyOf(string name) => _callerEndpointKeys.GetOrAdd(name, n =>
    {
        var cluster = _subsets.GetValueOrDefault(n)
            ?? (_mesh.Endpoints.ContainsKey(n) ? ClusterRef.Whole(n)
                : _mesh.SplitService(n) is { } service ? _mesh.ProxylessRouted(Rules, service).Items.FirstOrDefault(c => c.Name == n) : null);
        if (cluster is null) return null;
        _callerTags ??= CallerEndpointsKey.CallerTags(_mesh.Dataplanes.GetValueOrDefault(Dataplane));
        return CallerEndpointsKey.For(cluster, _mesh.ProtocolOf(cluster.Service), Rules.Outbound(cluster.Service), _callerTags);
    });

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CallerEndpointsKey?> _callerEndpointKeys = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string>? _callerTags;

    /// <summary>The merged policy rules of this proxy, in the generation it belongs to (a caller without a Dataplane gets Mesh-wide ones).</summary>
    public ProxyRules Rules => _rules ??= _mesh.RulesFor(Dataplane, _mesh.Dataplanes.GetValueOrDefault(Dataplane));

    private ProxyRules? _rules;

    /// <summary>SDS secrets of one stream (its proxy's certificate and key, its mesh's CA); set only on a copy that stream holds.</summary>
    private ImmutableSortedDictionary<string, XdsResource> _secrets = ImmutableSortedDictionary<string, XdsResource>.Empty;

    /// <summary>This config for one stream, with that stream's secrets; the shared config stays without them.</summary>
    public ProxyConfig WithSecrets(ImmutableSortedDictionary<string, XdsResource> secrets) =>
        new(_mesh, Dataplane, Inputs, _own, _wildcard, _subsets, PolicyErrors) { _secrets = secrets };

    /// <summary>The same config in a later generation whose changes do not touch it; by-name lookups use the new one.</summary>
    internal ProxyConfig For(MeshContext mesh) => new(mesh, Dataplane, Inputs, _own, _wildcard, _subsets, PolicyErrors);

    internal static ProxyConfig Build(MeshContext mesh, string dataplane, ProxyNode? node = null) =>
        Assemble(mesh, dataplane, InputsOf(mesh, dataplane, node ?? ProxyNode.None));

    /// <summary>
    /// The units this proxy's own resources are made of, in a fixed order. Each outbound listener lists the
    /// clusters it routes to (declared by plugins from its rules, e.g. MeshHTTPRoute subsets); the proxy gets
    /// one cluster unit per distinct cluster over all its listeners, shaped by the rules of that cluster's service.
    /// </summary>
    internal static ImmutableArray<UnitInputs> InputsOf(MeshContext mesh, string dataplane, ProxyNode node)
    {
        if (!mesh.Dataplanes.TryGetValue(dataplane, out var spec) || spec.Networking is not { } net) return [];
        var rules = mesh.RulesFor(dataplane, spec);
        var units = ImmutableArray.CreateBuilder<UnitInputs>();
        var transparent = net.TransparentProxying is { RedirectPortInbound: > 0, RedirectPortOutbound: > 0 };
        var identity = IdentityIfRead(mesh, dataplane, net, rules);
        OwnInboundConfs? ownInbound = null;
        foreach (var inbound in net.Inbound ?? [])
        {
            if (inbound.State == "Ignored") continue;
            var tags = inbound.Tags ?? [];
            var protocol = (inbound.Protocol ?? tags.GetValueOrDefault(ServiceEndpoint.ProtocolTag) ?? "tcp").ToLowerInvariant();
            var facts = new Kuma.Policies.Rules.InboundFacts(inbound.Name ?? "", inbound.Port!.Value, tags);
            // The first inbound's: Kuma takes any one, and what it reads there may only come from mesh-wide policies.
            if (units.Count == 0) ownInbound = OwnInboundConfs.Of(rules.Inbound(facts));
            units.Add(new InboundInputs(
                inbound.Address ?? net.Address!, inbound.Port.Value, inbound.ServicePort ?? inbound.Port.Value,
                inbound.ServiceAddress ?? inbound.Address ?? net.Address!, new Tags(tags), protocol, transparent, rules.Inbound(facts), identity)
            {
                Mtls = mesh.Mtls,
            });
        }
        var clusters = new SortedDictionary<string, ClusterRef>(StringComparer.Ordinal);
        var tagsHeader = mesh.UsesTagsHeader ? KumaTagsHeader.Value(spec) : null;
        var outboundAddresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var outbound in VipOutbounds.WithVips(mesh, net, transparent))
        {
            if (outbound.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) is not { } service) continue;
            var protocol = mesh.ProtocolOf(service);
            var tags = new Tags(outbound.Tags.Where(t => t.Key != "kuma.io/mesh"));
            var outboundRules = rules.Outbound(service);
            var routed = mesh.Routed(service, tags, outboundRules);
            outboundAddresses.Add(outbound.Address ?? "127.0.0.1");
            // Only HTTP routes carry the header; a TCP outbound is the same for every caller.
            units.Add(new OutboundListenerInputs(outbound.Address ?? "127.0.0.1", outbound.Port!.Value, service, protocol,
                tags, transparent, outboundRules, routed, EnvoyBuild.IsHttp(protocol) ? tagsHeader : null, identity));
            foreach (var cluster in routed.Items) clusters.TryAdd(cluster.Name, cluster);
        }
        var callerTags = tagsHeader; // the same value the outbound routes stamp, when the mesh needs it already
        foreach (var cluster in clusters.Values)
        {
            var protocol = mesh.ProtocolOf(cluster.Service);
            var clusterRules = rules.Outbound(cluster.Service);
            // Only clusters some policy makes caller-specific carry the caller's tags; the rest stay shared.
            var target = new OutboundTarget(cluster.Service, protocol) { Subset = cluster.Subset };
            var tags = ResourceUnits.ClusterReadsCallerTags(target, clusterRules) ? callerTags ??= KumaTagsHeader.Value(spec) : null;
            units.Add(new OutboundClusterInputs(cluster, protocol, clusterRules, tags) { Mtls = mesh.OutboundMtls(cluster.Service), OwnInbound = ownInbound });
        }
        if (net.TransparentProxying is { } tp)
            units.Add(new PassthroughInputs(tp.RedirectPortInbound ?? 0, tp.RedirectPortOutbound ?? 0, mesh.OutboundPassthrough, SidecarResources.PassthroughIpv6(tp.IpFamilyMode)));
        if (transparent && VipOutbounds.Dns(mesh, net, node, outboundAddresses) is { } dns) units.Add(dns);

        if (AdminResources.InputsOf(net, node) is { } admin) units.Add(admin);
        if (ProbeResources.InputsOf(spec, transparent, node) is { } probes) units.Add(probes);
        if (ProxyWide(mesh, dataplane, spec, rules, units, node) is { } proxyWide) units.Add(proxyWide);
        return units.ToImmutable();
    }

    /// <summary>
    /// The part of the proxy's identity that plugins with a whole-proxy conf for it read (a field any of them reads
    /// is kept); null when none reads any, so listeners stay shared.
    /// </summary>
    private static ProxyIdentity? IdentityIfRead(MeshContext mesh, string dataplane, DataplaneNetworking net, ProxyRules rules)
    {
        ProxyIdentity? full = null, read = null;
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is not { } plugin || rules.ProxyConf(t) is not { } conf) continue;
            full ??= Identity(mesh, dataplane, net);
            if (plugin.IdentityRead(conf, full) is not { } part) continue;
            read = read is null ? part : new ProxyIdentity(
                Either(read.Mesh, part.Mesh), Either(read.Service, part.Service), Either(read.Zone, part.Zone));
        }
        return read;

        static string Either(string a, string b) => a.Length > 0 ? a : b;
    }

    private static ProxyIdentity Identity(MeshContext mesh, string dataplane, DataplaneNetworking net)
    {
        var inbounds = net.Inbound ?? [];
        var service = inbounds.Select(i => i.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag)).OfType<string>().Order(StringComparer.Ordinal).FirstOrDefault();
        // The zone label Kuma puts on a zone's Dataplanes (as MeshMetric reads it), else the zone its inbounds are tagged with.
        var zone = mesh.LabelsOf(dataplane).GetValueOrDefault(ServiceEndpoint.ZoneTag) is { Length: > 0 } label ? label
            : inbounds.Select(i => i.Tags?.GetValueOrDefault(ServiceEndpoint.ZoneTag)).FirstOrDefault(z => !string.IsNullOrEmpty(z));
        return new ProxyIdentity(mesh.Snapshot.Mesh, service ?? "unknown", zone ?? "");
    }

    /// <summary>The service Kuma's policies name the outbound passthrough by (its <c>to</c> entries match it like any other).</summary>
    public const string PassthroughService = "pass_through";

    /// <summary>What proxy-wide plugin steps read, or null when no plugin has anything to do for this proxy.</summary>
    private static ProxyWideInputs? ProxyWide(MeshContext mesh, string dataplane, DataplaneSpec spec, ProxyRules rules, IReadOnlyList<UnitInputs> units, ProxyNode node)
    {
        ProxyWideConfs[]? confs = null;
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is not { } plugin) continue;
            var used = plugin.ReadsEveryConf ? UsedConfs(units, t) : [];
            var proxy = rules.ProxyConf(t);
            var passthrough = plugin.ReadsPassthroughConf && spec.Networking?.TransparentProxying is { RedirectPortOutbound: > 0 }
                ? rules.Outbound(PassthroughService).Confs[t]
                : null;
            if (proxy is null && used.IsEmpty && passthrough is null) continue;
            confs ??= Enumerable.Repeat(ProxyWideConfs.None, PolicyTypes.All.Count).ToArray();
            confs[t] = new ProxyWideConfs(proxy, used, passthrough);
        }
        if (confs is null) return null;
        var net = spec.Networking!;
        var target = new ProxyWideTarget(mesh.Snapshot.Mesh, dataplane, net.Address ?? "", [.. (net.Inbound ?? []).Select(i => new Tags(i.Tags))])
        {
            Labels = mesh.LabelsOf(dataplane),
            Role = ProxyRole(net),
            OutboundPassthrough = mesh.OutboundPassthrough,
            Node = node,
        };
        return new ProxyWideInputs(target, [.. confs]);
    }

    /// <summary>Kuma's <c>kuma.proxy_role</c>: a gateway is one whatever else it has; zone listeners make a zone proxy.</summary>
    private static string ProxyRole(DataplaneNetworking net)
    {
        if (net.Gateway is not null) return "gateway";
        var ingress = net.Listeners?.Any(l => l.Type == "ZoneIngress") == true;
        var egress = net.Listeners?.Any(l => l.Type == "ZoneEgress") == true;
        return (ingress, egress) switch
        {
            (true, true) => "zone-proxy",
            (true, false) => "zone-ingress",
            (false, true) => "zone-egress",
            _ => "sidecar",
        };
    }

    /// <summary>Every distinct conf of one policy type (by reference) that the proxy's units received, in unit order.</summary>
    private static ImmutableArray<JsonObject> UsedConfs(IReadOnlyList<UnitInputs> units, int type)
    {
        var seen = new HashSet<JsonObject>(ReferenceEqualityComparer.Instance);
        var used = ImmutableArray.CreateBuilder<JsonObject>();
        void Add(JsonObject? conf)
        {
            if (conf is not null && seen.Add(conf)) used.Add(conf);
        }
        foreach (var unit in units)
        {
            switch (unit)
            {
                case OutboundListenerInputs l:
                    Add(l.Rules.Confs[type]);
                    foreach (var route in l.Rules.Routes[type]) Add(route.Conf);
                    break;
                case InboundInputs i:
                    // Each rule in Kuma's order, for types that apply rules one by one (MeshAccessLog) rather than merged.
                    foreach (var rule in i.Rules.Rules[type].Rules) Add(rule.Conf);
                    Add(i.Rules.Rules[type].Conf);
                    foreach (var (_, conf) in i.Rules.Rules[type].Conditional) Add(conf);
                    break;
            }
        }
        return used.ToImmutable();
    }

    /// <summary>The clusters plugins declare for an outbound listener, or else the service's own cluster.</summary>
    internal static ClusterRefs RoutedClusters(MeshContext mesh, OutboundTarget target, OutboundRuleSet rules)
    {
        target = ResourceUnits.WithRoute(target, rules);
        List<ClusterRef>? declared = null;
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin?.OutboundClusters(target, rules.Confs[t], mesh.ProtocolOf) is { } clusters)
                (declared ??= []).AddRange(clusters);
        }
        return new ClusterRefs(declared ?? [ClusterRef.Whole(target.Service)]);
    }

    internal static ProxyConfig Assemble(MeshContext mesh, string dataplane, ImmutableArray<UnitInputs> inputs)
    {
        var listeners = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        var clusters = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        ProxyWideInputs? proxyWide = null;
        ImmutableArray<PolicyError> errors = [];
        foreach (var unit in inputs)
        {
            if (unit is ProxyWideInputs p)
            {
                proxyWide = p;
                continue;
            }
            foreach (var resource in mesh.Unit(unit))
            {
                if (resource.TypeUrl == TypeUrls.Listener) listeners[resource.Name] = resource;
                else clusters[resource.Name] = resource;
            }
        }
        if (proxyWide is not null) errors = ApplyProxyWide(proxyWide, listeners, clusters);
        var own = ImmutableDictionary<string, ImmutableSortedDictionary<string, XdsResource>>.Empty
            .Add(TypeUrls.Listener, listeners.ToImmutable())
            .Add(TypeUrls.Cluster, clusters.ToImmutable());
        return new ProxyConfig(mesh, dataplane, inputs, own, errors: errors);
    }

    private static ImmutableArray<PolicyError> ApplyProxyWide(ProxyWideInputs inputs,
        ImmutableSortedDictionary<string, XdsResource>.Builder listeners, ImmutableSortedDictionary<string, XdsResource>.Builder clusters)
    {
        var resources = new ProxyResources(listeners.Values.Concat(clusters.Values));
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is { } plugin && !inputs.Confs[t].IsEmpty) plugin.ProxyResources(resources, inputs.Target, inputs.Confs[t]);
        }
        listeners.Clear();
        foreach (var listener in resources.Result(TypeUrls.Listener)) listeners[listener.Name] = listener;
        clusters.Clear();
        foreach (var cluster in resources.Result(TypeUrls.Cluster)) clusters[cluster.Name] = cluster;
        return [.. resources.Errors];
    }
}
