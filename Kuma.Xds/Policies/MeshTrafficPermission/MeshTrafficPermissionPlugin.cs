using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using System.Text.Json;
using Kuma.Policies.Rules;
using Kuma.Validation;
using Kuma.Xds.Generation;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Kuma.Policies.MeshTrafficPermission;

/// <summary>
/// MeshTrafficPermission as Kuma 2.x applies it to a sidecar: an RBAC filter on every inbound filter chain that
/// Kuma's mTLS protects, as an HTTP filter (first in the connection manager) where the chain speaks HTTP and as a
/// network filter (first in the chain, stats under the listener's name) where it does not. Callers are told apart
/// by the identities in their client certificates, so nothing is done while the mesh's mTLS is off. With mTLS on,
/// an inbound that no permission covers refuses everyone: Kuma 2.x creates no allow-all policy with a mesh unless
/// told to (its <c>KUMA_DEFAULTS_CREATE_MESH_ROUTING_RESOURCES</c>, and then a legacy TrafficPermission).
/// </summary>
public sealed class MeshTrafficPermissionPlugin : PolicyPlugin
{
    public const string HttpRbacFilter = "envoy.filters.http.rbac";
    public const string NetworkRbacFilter = "envoy.filters.network.rbac";
    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";

    private static readonly MergeRules Merge = MergeRules.ForPolicyType(MeshTrafficPermissionPolicy.Descriptor.Name);

    public override void InboundListener(Listener listener, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rules);
        if (target.Mtls is not { } mtls) return;
        // As in Kuma, a policy with rules takes the inbound over: from entries are then not read.
        var config = rules.Rules.IsDefaultOrEmpty
            ? RbacPolicies.FromCallerSubsets(rules.CallerSubsets(Merge), mtls.Mesh)
            : RbacPolicies.FromRules(rules.Rules, MeshTrafficPermissionPolicy.Descriptor.ShortName!);
        foreach (var chain in listener.FilterChains.Where(ProtectedByMtls)) Apply(chain, config, listener.Name);
        // The requested server name is known only once the TLS inspector read the handshake.
        if (!rules.Rules.IsDefaultOrEmpty && RbacPolicies.MatchesSni(rules.Rules) && listener.ListenerFilters.All(f => f.Name != TlsInspectorFilter))
            listener.ListenerFilters.Add(new ListenerFilter { Name = TlsInspectorFilter, TypedConfig = Any.Pack(new TlsInspector()) });
    }

    /// <summary>
    /// A proxyless gRPC server under STRICT mTLS gets gRPC's RBAC HTTP filter (<c>GRPC_XDS_EXPERIMENTAL_RBAC=true</c>
    /// on the server), from the same merged rules as a sidecar's inbound, in the policy form gRPC reads. Without mTLS,
    /// or under PERMISSIVE before the server's service is TLS ready (it serves plaintext then), callers have no identity to check.
    /// </summary>
    public override void ProxylessServer(HttpConnectionManager hcm, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(hcm);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rules);
        if (target.Mtls is not { Mode: MtlsMode.Strict } mtls) return;
        var config = rules.Rules.IsDefaultOrEmpty
            ? RbacPolicies.FromCallerSubsets(rules.CallerSubsets(Merge), mtls.Mesh).Rules!
            : RbacPolicies.FromRulesForGrpc(rules.Rules, MeshTrafficPermissionPolicy.Descriptor.ShortName!);
        hcm.HttpFilters.Insert(0, new HttpFilter { Name = HttpRbacFilter, TypedConfig = Any.Pack(new HttpRbac { Rules = config }) });
    }

    public override IEnumerable<(ProxylessGap Gap, PolicyOrigin Origin)> ProxylessServerGaps(InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rules);
        if (target.Mtls is null) return [];
        if (target.Mtls.Mode == MtlsMode.Permissive)
        {
            var gap = new ProxylessGap("default", "a proxyless server in a PERMISSIVE mesh serves plaintext until its service is TLS ready (gRPC cannot pick mesh mTLS or plaintext per connection), so its callers have no identity to check");
            return rules.Rules.IsDefaultOrEmpty ? rules.From.Select(f => (gap, f.Origin)).DistinctBy(g => g.Origin) : rules.Rules.Select(r => (gap, r.Origin)).DistinctBy(g => g.Origin);
        }
        if (!rules.Rules.IsDefaultOrEmpty) return RbacPolicies.GrpcGaps(rules.Rules).Select(g => (new ProxylessGap(g.Field, g.Reason), g.Origin));
        return rules.From.Where(f => f.Conf.Deserialize<MeshTrafficPermissionConf>(SpecBinder.Options)?.Action == "AllowWithShadowDeny")
            .Select(f => (new ProxylessGap("default.action", RbacPolicies.NoShadow), f.Origin));
    }

    /// <summary>
    /// What <c>_rules</c> notes about this type: while mTLS is off, callers have no identity to check and Kuma
    /// leaves the policy out of the proxy's config.
    /// </summary>
    public override IEnumerable<string> RulesWarnings(MtlsState? mtls) =>
        mtls is null ? ["mTLS is disabled in this mesh: MeshTrafficPermission has no effect (callers have no identity to check)"] : [];

    /// <summary>Callers cannot enforce who may call the destination: only the destination's own server listener can.</summary>
    public override IEnumerable<ProxylessGap> ProxylessDestinationGaps(OutboundTarget target, System.Text.Json.Nodes.JsonObject conf) =>
        [new("default", "callers cannot enforce a destination's permissions: a proxyless destination enforces them only when it serves through gRPC's XdsServer (its server listener's RBAC filter)")];

    /// <summary>
    /// The chains Kuma's mTLS protects: those terminating the mesh's TLS. In PERMISSIVE mode the chains matched on
    /// plaintext or on TLS that is not Kuma's stay open.
    /// </summary>
    private static bool ProtectedByMtls(FilterChain chain) => MtlsContexts.TerminatesMeshTls(chain);

    private static void Apply(FilterChain chain, RbacConfig config, string listenerName)
    {
        // One permission filter per chain: what was there (Kuma's legacy TrafficPermission) is replaced.
        var existing = chain.Filters.FirstOrDefault(f => f.Name == NetworkRbacFilter);
        if (existing is not null) chain.Filters.Remove(existing);
        if (chain.Filters.Any(f => f.Name == EnvoyBuild.HttpConnectionManagerFilter))
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => hcm.HttpFilters.Insert(0, new HttpFilter
            {
                Name = HttpRbacFilter,
                TypedConfig = Any.Pack(new HttpRbac
                {
                    Rules = config.Rules?.Clone(),
                    ShadowRules = config.ShadowRules?.Clone(),
                    Matcher = config.Matcher?.Clone(),
                    ShadowMatcher = config.ShadowMatcher?.Clone(),
                }),
            }));
            return;
        }
        chain.Filters.Insert(0, new Filter
        {
            Name = NetworkRbacFilter,
            TypedConfig = Any.Pack(new NetworkRbac
            {
                // The dot keeps Envoy's "rbac.allowed" apart from the listener's name in the stat.
                StatPrefix = EnvoyNames.Sanitize(listenerName) + ".",
                Rules = config.Rules?.Clone(),
                ShadowRules = config.ShadowRules?.Clone(),
                Matcher = config.Matcher?.Clone(),
                ShadowMatcher = config.ShadowMatcher?.Clone(),
            }),
        });
    }
}
