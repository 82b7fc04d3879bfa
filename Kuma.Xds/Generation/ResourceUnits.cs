using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Kuma.Policies;

namespace Kuma.Xds.Generation;

/// <summary>
/// The inputs of one unit of generated config, and nothing else: a builder receives only its inputs, so
/// equal inputs give equal resources and a unit built for one proxy or generation serves any other with
/// equal inputs. Anything a builder needs must be a field here, which is what keeps reuse honest.
/// </summary>
public abstract record UnitInputs;

/// <summary>
/// The cluster of an outbound service, or of the subset of its endpoints named by <see cref="Cluster"/>, as this
/// caller's rules for the service shape it. <see cref="CallerTags"/> is the caller's <c>x-kuma-tags</c> value,
/// only when some plugin reads it for this cluster (see <see cref="PolicyPlugin.ReadsCallerTags"/>).
/// </summary>
public sealed record OutboundClusterInputs(ClusterRef Cluster, string Protocol, OutboundRuleSet Rules, string? CallerTags = null) : UnitInputs
{
    public string Service => Cluster.Service;

    /// <summary>For a proxyless gRPC client (a split cluster it asks for by name): only what gRPC accepts of a cluster.</summary>
    public bool ForGrpc { get; init; }

    /// <summary>The mesh's mTLS when connections to this cluster are encrypted; null when they are not.</summary>
    public MtlsState? Mtls { get; init; }

    /// <summary>What plugins read of the caller's own inbound confs (see <see cref="PolicyPlugin.OwnInboundForOutbound"/>).</summary>
    public OwnInboundConfs? OwnInbound { get; init; }
}

/// <summary>
/// One outbound listener. <see cref="Clusters"/> are the clusters it routes to (what plugins declared for it, or
/// the service's own); they depend on other services' protocols, so they are inputs too. <see cref="TagsHeader"/>
/// is the <c>x-kuma-tags</c> value the caller stamps on requests, when the mesh has policies that read it.
/// <see cref="Proxy"/> is the proxy's identity, only when a plugin reads it (<see cref="PolicyPlugin.ReadsProxyIdentity"/>).
/// </summary>
public sealed record OutboundListenerInputs(
    string Address, uint Port, string Service, string Protocol, Tags Tags, bool Transparent, OutboundRuleSet Rules,
    ClusterRefs Clusters, string? TagsHeader, ProxyIdentity? Proxy = null) : UnitInputs;

/// <summary>
/// One inbound listener and the local cluster behind it (<see cref="Proxy"/> as for outbound listeners).
/// <see cref="Mtls"/> is the mesh's mTLS, null while it is off.
/// </summary>
public sealed record InboundInputs(
    string Address, uint Port, uint ServicePort, string WorkloadAddress, Tags Tags, string Protocol, bool Transparent, InboundRuleSet Rules,
    ProxyIdentity? Proxy = null) : UnitInputs
{
    public string? Service => Tags.Values.GetValueOrDefault(ServiceEndpoint.ServiceTag);

    /// <summary>The mesh's mTLS, null when off: it decides the listener's filter chains and their TLS.</summary>
    public MtlsState? Mtls { get; init; }
}

/// <summary>
/// What a proxyless client gets for one service: API listener, route and cluster, shaped by the caller's
/// <c>to</c> rules and, for a proxyless destination, by the destination's inbound rules as they apply to this caller.
/// </summary>
public sealed record ProxylessInputs(string Service, string Protocol, OutboundRuleSet Rules, OutboundRuleSet? Destination, ClusterRefs Routed) : UnitInputs
{
    /// <summary>As for <see cref="OutboundClusterInputs.Mtls"/>.</summary>
    public MtlsState? Mtls { get; init; }
}

/// <summary>
/// The server listener of a proxyless gRPC server for one of its inbounds, as gRPC asks for it by the address it
/// binds (<see cref="ProxylessServer"/>). <see cref="Rules"/> are the inbound's; <see cref="Mtls"/> the mesh's, null when off.
/// </summary>
public sealed record ProxylessServerInputs(string Host, uint Port, string Service, InboundRuleSet Rules) : UnitInputs
{
    public MtlsState? Mtls { get; init; }

    /// <summary>The address as gRPC writes it in the listener's name (an IPv6 host in brackets).</summary>
    public string HostPort => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>The catch-all listeners and original-destination clusters of transparent proxying.</summary>
public sealed record PassthroughInputs(uint RedirectPortInbound, uint RedirectPortOutbound, bool OutboundAllowed, bool Ipv6 = true) : UnitInputs;

/// <summary>
/// What proxy-wide plugin steps read (see <see cref="PolicyPlugin.ProxyResources"/>): the proxy's own facts and, per
/// policy type in registry order, the confs that reached it. Not a shared unit: it is applied to one proxy's
/// assembled resources, and is among the proxy's inputs so an unchanged proxy keeps its config.
/// </summary>
public sealed record ProxyWideInputs(ProxyWideTarget Target, ImmutableArray<ProxyWideConfs> Confs) : UnitInputs
{
    public bool Equals(ProxyWideInputs? other) =>
        other is not null && Target.Equals(other.Target) && Confs.AsSpan().SequenceEqual(other.Confs.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Target, Confs.Length);
}

/// <summary>Builds units: defaults first, then every plugin in registry order, then one encoding per resource.</summary>
internal static class ResourceUnits
{
    /// <param name="templates">Where a caller-specific outbound listener gets its shared, plugin-shaped template.</param>
    public static XdsResource[] Build(UnitInputs inputs, Func<OutboundListenerInputs, ListenerTemplate> templates) => inputs switch
    {
        OutboundClusterInputs c => [Encode(OutboundCluster(c))],
        OutboundListenerInputs { TagsHeader: { } header } l => [Encode(templates(l with { TagsHeader = null }).Stamp(header))],
        OutboundListenerInputs l => [Encode(OutboundListener(l))],
        InboundInputs i => Inbound(i),
        PassthroughInputs p => Passthrough(p),
        ProxylessInputs p => Proxyless(p),
        ProxylessServerInputs s => [Encode(ProxylessServerListener(s))],
        DnsInputs d => [Encode(DnsListener.Build(d))],

        AdminInputs a => AdminResources.Build(a),
        ProbeInputs p => ProbeResources.Build(p),
        _ => throw new ArgumentOutOfRangeException(nameof(inputs), inputs.GetType().Name, "unknown unit"),
    };

    private static Cluster OutboundCluster(OutboundClusterInputs inputs)
    {
        var cluster = ServiceResources.Cluster(inputs.Cluster.Name);
        if (inputs.Mtls is { } mtls)
            cluster.TransportSocket = inputs.ForGrpc ? MtlsContexts.ProxylessClientSide(mtls.Mesh, inputs.Cluster) : MtlsContexts.ClientSide(mtls.Mesh, inputs.Cluster);
        var target = new OutboundTarget(inputs.Service, inputs.Protocol) { Subset = inputs.Cluster.Subset, CallerTags = inputs.CallerTags, Mtls = inputs.Mtls };
        ForEachPlugin((plugin, t) => plugin.OutboundCluster(cluster,
            inputs.OwnInbound?.Confs[t] is { } own ? target with { OwnInbound = own } : target, inputs.Rules.Confs[t]));
        if (inputs.ForGrpc) ProxylessConversion.ConvertCluster(cluster);
        return cluster;
    }

    private static Listener OutboundListener(OutboundListenerInputs inputs)
    {
        var listener = SidecarResources.Outbound(inputs.Address, inputs.Port, inputs.Service, inputs.Protocol, inputs.Tags.Values, inputs.Transparent);
        var target = WithRoute(new OutboundTarget(inputs.Service, inputs.Protocol) { Clusters = inputs.Clusters, Tags = inputs.Tags, Proxy = inputs.Proxy }, inputs.Rules);
        ForEachPlugin((plugin, t) => plugin.OutboundListener(listener, target, inputs.Rules.Confs[t], inputs.Rules.Routes[t]));
        return listener;
    }

    public static ListenerTemplate OutboundListenerTemplate(OutboundListenerInputs inputs) => new(OutboundListener(inputs));

    private static XdsResource[] Inbound(InboundInputs inputs)
    {
        var (listener, cluster) = SidecarResources.Inbound(inputs);
        var target = new InboundTarget(inputs.Service, inputs.Protocol, inputs.Port) { Proxy = inputs.Proxy, Mtls = inputs.Mtls };
        ForEachPlugin((plugin, t) =>
        {
            plugin.InboundListener(listener, target, inputs.Rules.Rules[t]);
            plugin.InboundCluster(cluster, target, inputs.Rules.Rules[t]);
        });
        return [Encode(listener), Encode(cluster)];
    }

    /// <summary>
    /// Plugins shape a sidecar-style outbound listener and cluster as for any caller; the listener's
    /// connection manager and routes then become gRPC's API listener (routes inline), keeping only
    /// what gRPC's xDS client understands (see <see cref="ProxylessConversion"/>).
    /// </summary>
    private static XdsResource[] Proxyless(ProxylessInputs inputs)
    {
        // The client then asks for each routed cluster by name, split clusters included (see ProxyConfig.Find).
        var target = new OutboundTarget(inputs.Service, inputs.Protocol) { Clusters = inputs.Routed, Proxyless = true, Mtls = inputs.Mtls };
        var template = SidecarResources.Outbound("0.0.0.0", 0, inputs.Service, "grpc", [], transparent: false);
        var cluster = ServiceResources.Cluster(inputs.Service);
        if (inputs.Mtls is { } mtls) cluster.TransportSocket = MtlsContexts.ProxylessClientSide(mtls.Mesh, ClusterRef.Whole(inputs.Service));
        ForEachPlugin((plugin, t) =>
        {
            plugin.OutboundListener(template, target, inputs.Rules.Confs[t], inputs.Rules.Routes[t]);
            if (inputs.Destination is { } destination) plugin.ProxylessDestination(template, target, destination.Confs[t]);
            plugin.OutboundCluster(cluster, target, inputs.Rules.Confs[t]);
        });
        ProxylessConversion.ConvertCluster(cluster);
        return [Encode(ProxylessConversion.Convert(template, inputs.Service)), Encode(cluster)];
    }

    /// <summary>Only plugins' server hooks run: gRPC's server applies nothing of what they do to a sidecar's inbound.</summary>
    private static Listener ProxylessServerListener(ProxylessServerInputs inputs)
    {
        var (listener, hcm) = ProxylessServer.Build(inputs);
        var target = new InboundTarget(inputs.Service, "grpc", inputs.Port) { Mtls = inputs.Mtls };
        ForEachPlugin((plugin, t) => plugin.ProxylessServer(hcm, target, inputs.Rules.Rules[t]));
        return ProxylessServer.Finish(listener, hcm);
    }

    private static XdsResource[] Passthrough(PassthroughInputs inputs)
    {
        var built = new List<XdsResource>();
        foreach (var (listener, cluster) in SidecarResources.Passthrough(inputs.RedirectPortInbound, inputs.RedirectPortOutbound, inputs.OutboundAllowed, inputs.Ipv6))
        {
            built.Add(Encode(listener));
            if (cluster is not null) built.Add(Encode(cluster));
        }
        return [.. built];
    }

    /// <summary>Whether any plugin's cluster for <paramref name="target"/> depends on the caller's tags under these rules.</summary>
    public static bool ClusterReadsCallerTags(OutboundTarget target, OutboundRuleSet rules)
    {
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (rules.Confs[t] is { } conf && PolicyTypes.All[t].Plugin is { } plugin && plugin.ReadsCallerTags(target, conf)) return true;
        }
        return false;
    }

    /// <summary>The target with the policy type that routes it under these rules (see <see cref="OutboundTarget.RoutedBy"/>).</summary>
    public static OutboundTarget WithRoute(OutboundTarget target, OutboundRuleSet rules)
    {
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (rules.Confs[t] is { } conf && PolicyTypes.All[t].Plugin is { } plugin && plugin.RoutesOutbound(target, conf))
                return target with { RoutedBy = PolicyTypes.All[t].Name };
        }
        return target;
    }

    private static void ForEachPlugin(Action<PolicyPlugin, int> apply)
    {
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is { } plugin) apply(plugin, t);
        }
    }

    private static XdsResource Encode(Listener listener) => XdsResource.Encode(listener.Name, listener);
    private static XdsResource Encode(Cluster cluster) => XdsResource.Encode(cluster.Name, cluster);
}
