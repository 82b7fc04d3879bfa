namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// MeshProxyPatch as Kuma applies it: after every other plugin, the merged modifications (every selected policy's
/// <c>appendModifications</c>, least specific first) change the proxy's finished listeners and clusters. A
/// modification that fails or would break a resource leaves that resource as it was and is reported in the
/// proxy's <c>_overview</c> (see <see cref="Modifications"/>).
/// </summary>
/// <remarks>
/// It acts only in the proxy-wide step, so its confs stay out of the listener and cluster units' inputs: a patch per
/// service must not make every outbound listener of a mesh caller-specific.
/// </remarks>
public sealed class MeshProxyPatchPlugin : PolicyPlugin<MeshProxyPatchConf>
{
    public override bool ReportsErrors => true;

    protected override void ProxyResources(ProxyResources resources, ProxyWideTarget target, MeshProxyPatchConf? conf, IReadOnlyList<MeshProxyPatchConf> used)
    {
        if (conf?.AppendModifications is { Count: > 0 } modifications) new Modifications(resources).Apply(modifications);
    }

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshProxyPatchConf conf) =>
        ProxylessGap.IfSet(conf.AppendModifications, "default.appendModifications",
            "a proxyless gRPC client is sent resources built per service, not a proxy's own listeners and clusters, so patches are not applied to them");
}
