using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Policies.Rules;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies;

/// <summary>An outbound as plugins see it: the destination service and the protocol its cluster and listener speak.</summary>
public sealed record OutboundTarget(string Service, string Protocol)
{
    /// <summary>
    /// For a listener: the clusters the proxy got for it, which are what <see cref="PolicyPlugin.OutboundClusters"/>
    /// declared (or the service's own cluster when no plugin declared any). Empty for a cluster.
    /// </summary>
    public ClusterRefs Clusters { get; init; } = ClusterRefs.Empty;

    /// <summary>For a listener: the outbound's tags (its service tag, and any that narrow it to part of the service).</summary>
    public Tags Tags { get; init; } = Tags.Empty;

    /// <summary>For a cluster: the subset of the service it holds (none for the service's own cluster).</summary>
    public Tags Subset { get; init; } = Tags.Empty;

    /// <summary>
    /// For a cluster: the caller's <c>x-kuma-tags</c> value, given only when a plugin asks for it
    /// (<see cref="PolicyPlugin.ReadsCallerTags"/>) and the caller has tags; null otherwise, so that clusters
    /// stay the same for every caller unless a policy makes them differ.
    /// </summary>
    public string? CallerTags { get; init; }

    /// <summary>
    /// For a listener and for <see cref="PolicyPlugin.OutboundClusters"/>: the policy type that routes this outbound, the
    /// first in registry order whose conf claims it (<see cref="PolicyPlugin.RoutesOutbound"/>); null when none does, and
    /// then the outbound's protocol decides which route type's defaults apply.
    /// </summary>
    public string? RoutedBy { get; init; }

    /// <summary>
    /// For a listener and for <see cref="PolicyPlugin.OutboundClusters"/>: the caller is a proxyless gRPC client, whose
    /// listener (an HTTP connection manager whatever the service's protocol) becomes gRPC's API listener.
    /// </summary>
    public bool Proxyless { get; init; }

    /// <summary>For a listener: the calling proxy's identity, given only when a plugin asks (<see cref="PolicyPlugin.IdentityRead"/>).</summary>
    public ProxyIdentity? Proxy { get; init; }

    /// <summary>For a cluster: the mesh's mTLS when the pipeline made the cluster's connections mTLS (its transport socket), else null.</summary>
    public MtlsState? Mtls { get; init; }

    /// <summary>
    /// For a cluster, given to plugins that ask (<see cref="PolicyPlugin.OwnInboundForOutbound"/>): the part they read of
    /// their merged conf for the calling proxy's first inbound; null otherwise.
    /// </summary>
    public JsonObject? OwnInbound { get; init; }
}

/// <summary>An inbound as plugins see it: the service it serves (if tagged) and its protocol.</summary>
public sealed record InboundTarget(string? Service, string Protocol, uint Port)
{
    /// <summary>The proxy's identity, given only when a plugin asks (<see cref="PolicyPlugin.IdentityRead"/>).</summary>
    public ProxyIdentity? Proxy { get; init; }

    /// <summary>The mesh's mTLS, null when off; when on, the pipeline already secured the listener (see <see cref="MtlsContexts.SecureInbound"/>).</summary>
    public MtlsState? Mtls { get; init; }
}

/// <summary>
/// Who a proxy is, as Kuma names it in tracer configs and span tags: its mesh, its service (the first, in
/// ordinal order, of its inbounds' <c>kuma.io/service</c> values, or <c>unknown</c>) and its zone (its Dataplane's
/// <c>kuma.io/zone</c> label, else its inbounds' <c>kuma.io/zone</c> tag, empty when neither). Proxies of one
/// service in one zone share it, so listeners that read it stay shared between them.
/// </summary>
public sealed record ProxyIdentity(string Mesh, string Service, string Zone);

/// <summary>
/// Turns one policy type's merged rules into changes to typed Envoy resources. The pipeline builds each
/// resource with the control plane's defaults, hands it to every plugin in the registry's order, and
/// encodes it once afterwards; a plugin never sees bytes. A plugin reads nothing but its arguments, so
/// the same arguments give the same resource and the pipeline may share the result between proxies.
/// </summary>
public abstract class PolicyPlugin
{
    /// <summary>
    /// The clusters an outbound listener sends traffic to, for a plugin that decides them (routes, splits):
    /// null leaves the decision to others. When some plugin declares clusters, the proxy gets exactly those
    /// for the outbound (each shaped by its service's rules) instead of the service's own cluster, and the
    /// listener later sees them as <see cref="OutboundTarget.Clusters"/>. Asked when a proxy's units are
    /// listed, with <paramref name="protocolOf"/> telling each service's protocol in the mesh; like every
    /// plugin method it must read nothing but its arguments.
    /// </summary>
    public virtual IEnumerable<ClusterRef>? OutboundClusters(OutboundTarget target, JsonObject? conf, Func<string, string> protocolOf) => null;

    /// <summary>The cluster of an outbound service; <paramref name="conf"/> is the merged <c>to</c> conf for it, or null.</summary>
    public virtual void OutboundCluster(Cluster cluster, OutboundTarget target, JsonObject? conf) { }

    /// <summary>
    /// An outbound listener (HTTP connection manager with its inline routes, or TCP proxy). <paramref name="routes"/>
    /// are confs for single routes, by route name, where policies aimed at a MeshHTTPRoute configure that route's
    /// rules; each is complete (the outbound's conf merged beneath it). Routes not listed take <paramref name="conf"/>.
    /// </summary>
    public virtual void OutboundListener(Listener listener, OutboundTarget target, JsonObject? conf, ImmutableArray<RouteConf> routes) { }

    /// <summary>
    /// Whether the outbound cluster for <paramref name="target"/> depends on who calls it under this conf (it then
    /// gets <see cref="OutboundTarget.CallerTags"/>). Asked when a proxy's units are listed; false by default.
    /// </summary>
    public virtual bool ReadsCallerTags(OutboundTarget target, JsonObject conf) => false;

    /// <summary>
    /// For route types: whether this conf routes the outbound. Where several types' confs would, the first in registry
    /// order wins, which is how Kuma's MeshHTTPRoute prevails over MeshTCPRoute on an HTTP outbound. False by default.
    /// </summary>
    public virtual bool RoutesOutbound(OutboundTarget target, JsonObject conf) => false;

    /// <summary>
    /// Whether this plugin ever changes endpoints (see <see cref="EndpointsCaller"/>). Meshes without a policy of
    /// such a type skip every per-caller endpoint lookup, so their endpoints stay shared by all proxies.
    /// </summary>
    public virtual bool ShapesEndpoints => false;

    /// <summary>
    /// What of the caller the endpoints of <paramref name="target"/>'s cluster depend on under this conf, or null
    /// when the conf leaves the endpoints as every caller gets them. <paramref name="caller"/> holds the caller's
    /// tags (per key, the first value over its inbounds in ordinal order); the answer is the part of it that
    /// matters here (e.g. its zone), and callers with the same answer and conf share one endpoints resource.
    /// </summary>
    public virtual Tags? EndpointsCaller(OutboundTarget target, JsonObject conf, IReadOnlyDictionary<string, string> caller) => null;

    /// <summary>
    /// The endpoints of an outbound cluster (the service's, or the subset <see cref="OutboundTarget.Subset"/> names)
    /// as a caller gets them, for a conf that <see cref="EndpointsCaller"/> answered <paramref name="caller"/> for.
    /// </summary>
    public virtual void OutboundEndpoints(ClusterLoadAssignment endpoints, OutboundTarget target, JsonObject? conf, Tags caller) { }

    /// <summary>An inbound listener; <paramref name="rules"/> are the merged <c>from</c>/<c>rules</c> for that inbound.</summary>
    public virtual void InboundListener(Listener listener, InboundTarget target, InboundRules rules) { }

    /// <summary>The local cluster behind an inbound.</summary>
    public virtual void InboundCluster(Cluster cluster, InboundTarget target, InboundRules rules) { }

    /// <summary>
    /// The connection manager of a proxyless gRPC server's listener (see <see cref="Kuma.Xds.Generation.ProxylessServer"/>) for one of its
    /// inbounds; <paramref name="rules"/> as for <see cref="InboundListener"/>. Only what gRPC's server applies belongs
    /// here (HTTP filters it knows, before the router, which comes last); nothing by default.
    /// </summary>
    public virtual void ProxylessServer(HttpConnectionManager hcm, InboundTarget target, InboundRules rules) { }

    /// <summary>
    /// What of these inbound rules a proxyless gRPC server does not apply, each gap with the policy entry it comes
    /// from (listed in the dataplane's <c>_overview</c>); none by default.
    /// </summary>
    public virtual IEnumerable<(ProxylessGap Gap, PolicyOrigin Origin)> ProxylessServerGaps(InboundTarget target, InboundRules rules) => [];

    /// <summary>
    /// A proxyless destination has no proxy of its own: what this policy would do at its inbound is done in
    /// the proxyless caller's outbound listener instead. <paramref name="conf"/> is the destination's merged
    /// inbound conf as it applies to this caller.
    /// </summary>
    public virtual void ProxylessDestination(Listener listener, OutboundTarget target, JsonObject? conf) { }

    /// <summary>
    /// What of a <c>to</c> entry's conf (or of the merge of several) a proxyless gRPC client calling
    /// <paramref name="target"/> does not get: fields that are set but that the proxyless conversion drops or gRPC's
    /// xDS client does not act on, with the reason. A plugin that changes outbound resources says here what of it
    /// gRPC ignores; none by default.
    /// </summary>
    public virtual IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, JsonObject conf) => [];

    /// <summary>
    /// The same for a proxyless destination's inbound conf, as it applies to a proxyless caller. By default the
    /// whole conf: nothing at the destination applies it, and the caller does only what
    /// <see cref="ProxylessDestination(Listener, OutboundTarget, JsonObject?)"/> does.
    /// </summary>
    public virtual IEnumerable<ProxylessGap> ProxylessDestinationGaps(OutboundTarget target, JsonObject conf) => [NotAtDestination];

    /// <summary>
    /// For a type whose policies configure the proxy as a whole (a top-level <c>default</c>, no <c>to</c> or
    /// <c>from</c>: MeshTrace, MeshMetric, MeshPassthrough, MeshProxyPatch): whether its merged <c>default</c> must
    /// also reach the unit hooks, as the conf of each outbound and cluster and as each inbound's
    /// <see cref="InboundRules.Conf"/> (MeshTrace configures every connection manager). The proxy-wide step gets it as
    /// <see cref="ProxyWideConfs.Proxy"/> either way, so a type that only works there leaves this false and units
    /// stay shared between proxies whose defaults differ.
    /// </summary>
    public virtual bool AppliesToWholeProxy => false;

    /// <summary>
    /// The part of the proxy's identity the listener hooks read (<see cref="OutboundTarget.Proxy"/>,
    /// <see cref="InboundTarget.Proxy"/>) when this whole-proxy conf applies, with the fields they do not read
    /// emptied; null when they read none. Listeners are shared between proxies whose read identities are equal,
    /// so the less a conf reads, the fewer variants the mesh builds.
    /// </summary>
    public virtual ProxyIdentity? IdentityRead(JsonObject proxyConf, ProxyIdentity identity) => null;

    /// <summary>Whether <see cref="ProxyResources"/> may report policy errors (see <see cref="Policies.ProxyResources.ReportError"/>).</summary>
    public virtual bool ReportsErrors => false;

    /// <summary>Whether <see cref="ProxyResources"/> needs <see cref="ProxyWideConfs.Used"/> (every conf the proxy's units received).</summary>
    public virtual bool ReadsEveryConf => false;

    /// <summary>
    /// Whether <see cref="ProxyResources"/> needs <see cref="ProxyWideConfs.Passthrough"/>: the merged <c>to</c> conf
    /// for the outbound passthrough (Kuma's service <c>pass_through</c>) of a proxy with transparent proxying.
    /// </summary>
    public virtual bool ReadsPassthroughConf => false;

    /// <summary>
    /// For a type whose outbound clusters follow what the proxy's own inbound conf says (Kuma's MeshTLS puts the TLS
    /// versions and ciphers a proxy accepts on the connections it makes too): the part of that conf clusters read, or
    /// null when they read none of it (the default). Clusters get it as <see cref="OutboundTarget.OwnInbound"/> and are
    /// shared by proxies whose parts are equal.
    /// </summary>
    public virtual JsonObject? OwnInboundForOutbound(JsonObject conf) => null;

    /// <summary>
    /// The proxy as a whole, after all its units are built and every plugin shaped them: add resources that exist
    /// once per proxy (a metrics listener, a collector's cluster), or change what the units made (passthrough
    /// matches, patches). Called in registry order, only for Dataplane proxies whose <paramref name="confs"/> hold
    /// something. Unlike units, the result is the proxy's own, so this is where per-proxy cost belongs.
    /// </summary>
    public virtual void ProxyResources(ProxyResources resources, ProxyWideTarget target, ProxyWideConfs confs) { }

    /// <summary>
    /// Notes that the <c>_rules</c> inspection lists under this type (its <c>warnings</c>) for a proxy of a mesh whose
    /// mTLS is <paramref name="mtls"/>: e.g. that the type's rules have no effect there. None by default.
    /// </summary>
    public virtual IEnumerable<string> RulesWarnings(MtlsState? mtls) => [];

    /// <summary>A destination's inbound conf that nothing applies.</summary>
    public static readonly ProxylessGap NotAtDestination = new("default",
        "a proxyless destination has no proxy of its own to apply this, and its proxyless callers do not apply it either");
}

/// <summary>A plugin that reads its merged confs as its own typed conf class.</summary>
public abstract class PolicyPlugin<TConf> : PolicyPlugin where TConf : class
{
    public sealed override IEnumerable<ClusterRef>? OutboundClusters(OutboundTarget target, JsonObject? conf, Func<string, string> protocolOf) =>
        OutboundClusters(target, Read(conf), protocolOf);

    public sealed override void OutboundCluster(Cluster cluster, OutboundTarget target, JsonObject? conf) =>
        OutboundCluster(cluster, target, Read(conf));

    public sealed override bool ReadsCallerTags(OutboundTarget target, JsonObject conf) =>
        Read(conf) is { } typed && ReadsCallerTags(target, typed);

    public sealed override bool RoutesOutbound(OutboundTarget target, JsonObject conf) =>
        Read(conf) is { } typed && RoutesOutbound(target, typed);

    public sealed override ProxyIdentity? IdentityRead(JsonObject proxyConf, ProxyIdentity identity) =>
        Read(proxyConf) is { } typed ? IdentityRead(typed, identity) : null;

    protected virtual ProxyIdentity? IdentityRead(TConf proxyConf, ProxyIdentity identity) => null;

    public sealed override Tags? EndpointsCaller(OutboundTarget target, JsonObject conf, IReadOnlyDictionary<string, string> caller) =>
        Read(conf) is { } typed ? EndpointsCaller(target, typed, caller) : null;

    public sealed override void OutboundEndpoints(ClusterLoadAssignment endpoints, OutboundTarget target, JsonObject? conf, Tags caller)
    {
        if (Read(conf) is { } typed) OutboundEndpoints(endpoints, target, typed, caller);
    }

    public sealed override void OutboundListener(Listener listener, OutboundTarget target, JsonObject? conf, ImmutableArray<RouteConf> routes)
    {
        if (routes.IsDefaultOrEmpty)
        {
            OutboundListener(listener, target, Read(conf));
            return;
        }
        var byName = new Dictionary<string, TConf>(StringComparer.Ordinal);
        foreach (var route in routes) byName[route.RouteName] = Read(route.Conf)!;
        OutboundListener(listener, target, Read(conf), byName);
    }

    public sealed override void InboundListener(Listener listener, InboundTarget target, InboundRules rules) =>
        InboundListener(listener, target, Read(rules.Conf));

    public sealed override void InboundCluster(Cluster cluster, InboundTarget target, InboundRules rules) =>
        InboundCluster(cluster, target, Read(rules.Conf));

    public sealed override void ProxylessDestination(Listener listener, OutboundTarget target, JsonObject? conf) =>
        ProxylessDestination(listener, target, Read(conf));

    public sealed override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, JsonObject conf) =>
        Read(conf) is { } typed ? ProxylessGaps(target, typed) : [];

    protected virtual IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, TConf conf) => [];

    public sealed override void ProxyResources(ProxyResources resources, ProxyWideTarget target, ProxyWideConfs confs) =>
        ProxyResources(resources, target, Read(confs.Proxy), [.. confs.Used.Select(c => Read(c)!)]);

    /// <summary>See the untyped overload; <paramref name="used"/> is empty unless <see cref="PolicyPlugin.ReadsEveryConf"/>.</summary>
    protected virtual void ProxyResources(ProxyResources resources, ProxyWideTarget target, TConf? conf, IReadOnlyList<TConf> used) { }

    protected virtual bool ReadsCallerTags(OutboundTarget target, TConf conf) => false;
    protected virtual Tags? EndpointsCaller(OutboundTarget target, TConf conf, IReadOnlyDictionary<string, string> caller) => null;
    protected virtual void OutboundEndpoints(ClusterLoadAssignment endpoints, OutboundTarget target, TConf conf, Tags caller) { }

    protected virtual bool RoutesOutbound(OutboundTarget target, TConf conf) => false;

    protected virtual IEnumerable<ClusterRef>? OutboundClusters(OutboundTarget target, TConf? conf, Func<string, string> protocolOf) => null;
    protected virtual void OutboundCluster(Cluster cluster, OutboundTarget target, TConf? conf) { }
    protected virtual void ProxylessDestination(Listener listener, OutboundTarget target, TConf? conf) { }
    protected virtual void OutboundListener(Listener listener, OutboundTarget target, TConf? conf) { }

    /// <summary>
    /// An outbound listener some of whose routes have confs of their own (see the untyped overload). Plugins that
    /// configure routes override this; by default the per-route confs are ignored.
    /// </summary>
    protected virtual void OutboundListener(Listener listener, OutboundTarget target, TConf? conf, IReadOnlyDictionary<string, TConf> routes) =>
        OutboundListener(listener, target, conf);

    protected virtual void InboundListener(Listener listener, InboundTarget target, TConf? conf) { }
    protected virtual void InboundCluster(Cluster cluster, InboundTarget target, TConf? conf) { }

    /// <summary>Merged confs were validated piecewise on the way in; their merge is read the same way.</summary>
    /// <remarks>
    /// Merged confs are shared by every unit of a group of look-alike proxies, so each is read once; plugins
    /// treat the typed conf as read-only.
    /// </remarks>
    protected static TConf? Read(JsonObject? conf) =>
        conf is null ? null : TypedConfs.GetValue(conf, c => c.Deserialize<TConf>(SpecBinder.Options)!);

    private static readonly ConditionalWeakTable<JsonObject, TConf> TypedConfs = new();
}
