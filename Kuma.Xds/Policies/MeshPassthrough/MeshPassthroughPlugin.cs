using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// MeshPassthrough as Kuma applies it to a sidecar with transparent proxying, once the proxy's resources are built:
/// <list type="bullet">
/// <item><c>All</c> lets everything through: the original-destination clusters are added when the mesh's
/// <c>networking.outbound.passthrough: false</c> left them out, and nothing changes otherwise.</item>
/// <item><c>None</c> removes those clusters when the mesh had them, so the catch-all listener leads nowhere.</item>
/// <item><c>Matched</c> (the default) removes them too, and with matches rebuilds the outbound passthrough listener
/// with one filter chain per allowed destination, each to a cluster of its own.</item>
/// </list>
/// A proxy without transparent proxying has no passthrough listener, and is left alone, as Kuma does.
/// </summary>
public sealed class MeshPassthroughPlugin : PolicyPlugin<MeshPassthroughConf>
{
    private const string NoPassthrough =
        "a proxyless gRPC client has no outbound passthrough: it connects only to the services it resolves through xDS";

    protected override void ProxyResources(ProxyResources resources, ProxyWideTarget target, MeshPassthroughConf? conf, IReadOnlyList<MeshPassthroughConf> used)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(target);
        if (conf is null) return;
        var listeners = resources.ListenerNames.ToHashSet(StringComparer.Ordinal);
        if (!listeners.Contains(EnvoyNames.OutboundPassthroughIpv4) && !listeners.Contains(EnvoyNames.OutboundPassthroughIpv6)) return;

        switch (conf.PassthroughMode ?? PassthroughModes.Matched)
        {
            case PassthroughModes.None:
                if (target.OutboundPassthrough) RemoveDefaultClusters(resources);
                return;
            case PassthroughModes.All:
                if (!target.OutboundPassthrough) AddDefaultClusters(resources);
                return;
        }

        RemoveDefaultClusters(resources);
        if (conf.AppendMatch is not { Count: > 0 } matches) return;
        // Policies valid one by one may together put two HTTP flavours on one port, which no chain can tell apart.
        // Kuma then fails the proxy's whole config; here the passthrough stays closed (Matched with nothing matched).
        if (PassthroughMatches.Ordered(matches) is not { } chains) return;

        var clusters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // A listener is rebuilt only when some chain is for its family; domains are for both.
        if (chains.Any(c => !c.IsIpv6Only) && resources.Listener(EnvoyNames.OutboundPassthroughIpv4) is { } ipv4)
            PassthroughFilterChains.Configure(ipv4, chains, ipv6: false, clusters);
        if (chains.Any(c => !c.IsIpv4Only) && resources.Listener(EnvoyNames.OutboundPassthroughIpv6) is { } ipv6)
            PassthroughFilterChains.Configure(ipv6, chains, ipv6: true, clusters);
        foreach (var (name, protocol) in clusters) resources.Add(PassthroughFilterChains.OriginalDestinationCluster(name, protocol));
    }

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshPassthroughConf conf)
    {
        ArgumentNullException.ThrowIfNull(conf);
        return
        [
            .. ProxylessGap.IfSet(conf.PassthroughMode, "default.passthroughMode", NoPassthrough),
            .. ProxylessGap.IfSet(conf.AppendMatch, "default.appendMatch", NoPassthrough),
        ];
    }

    /// <summary>Kuma removes and adds both families' clusters, whichever listeners the proxy has.</summary>
    private static void RemoveDefaultClusters(ProxyResources resources)
    {
        resources.RemoveCluster(EnvoyNames.OutboundPassthroughIpv4);
        resources.RemoveCluster(EnvoyNames.OutboundPassthroughIpv6);
    }

    private static void AddDefaultClusters(ProxyResources resources)
    {
        resources.Add(PassthroughFilterChains.OriginalDestinationCluster(EnvoyNames.OutboundPassthroughIpv4, "tcp"));
        resources.Add(PassthroughFilterChains.OriginalDestinationCluster(EnvoyNames.OutboundPassthroughIpv6, "tcp"));
    }
}
