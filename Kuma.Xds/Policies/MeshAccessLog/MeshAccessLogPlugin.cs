using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Accesslog.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.Rules;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>
/// MeshAccessLog as Kuma applies it to a sidecar: each backend of an outbound's merged <c>to</c> conf becomes an
/// access log on the outbound listener's connection manager or TCP proxy; on an inbound, every rule (a <c>from</c>
/// entry counts as a match-less rule) logs on its own, unmerged, rules with matches only for callers that satisfy
/// them (a CEL filter). Formats default to Kuma's HTTP or TCP line by protocol.
/// </summary>
/// <remarks>
/// Listeners are built once for every proxy with the same inputs, so what only the proxy knows (its mesh, address
/// and service, its kuma-dp socket, the collector clusters' numbering) is filled in by <see cref="ProxyResources"/>;
/// see <see cref="Placeholders"/>. The outbound passthrough listeners of transparent proxying log what the merged
/// <c>to</c> conf for Kuma's <c>pass_through</c> service says, with TCP's default format and destination
/// <c>external</c>, every chain MeshPassthrough left on them included. Not applied, as in this control plane's other
/// policies: per-route logs for MeshHTTPRoute <c>to</c> entries (Kuma reads those for real
/// MeshService resources only), gateways, and collectors named by a MeshOpenTelemetryBackend reference.
/// </remarks>
public sealed class MeshAccessLogPlugin : PolicyPlugin
{
    public override bool ReadsEveryConf => true;

    public override bool ReadsPassthroughConf => true;

    /// <summary>What Kuma's access logs name as the destination of traffic through the outbound passthrough.</summary>
    public const string PassthroughDestination = "external";

    public override void OutboundListener(Listener listener, OutboundTarget target, JsonObject? conf, System.Collections.Immutable.ImmutableArray<RouteConf> routes)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(target);
        if (Read(conf) is not { } typed) return;
        Append(listener, AccessLogEntries.For(typed, AccessLogEntries.DefaultFormat(target.Protocol), new UnitValues(Inbound: false, target.Service)));
    }

    public override void InboundListener(Listener listener, InboundTarget target, InboundRules rules)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Rules.IsDefaultOrEmpty) return;
        var values = new UnitValues(Inbound: true, Destination: "");
        var format = AccessLogEntries.DefaultFormat(target.Protocol);
        var entries = new List<AccessLog>();
        foreach (var rule in rules.Rules)
        {
            if (Read(rule.Conf) is { } typed) entries.AddRange(AccessLogEntries.For(typed, format, values, AccessLogEntries.Cel(rule.Match)));
        }
        Append(listener, entries);
        // Envoy learns the requested server name only from the TLS handshake, which this filter reads.
        if (rules.Rules.Any(r => r.Match?.Sni is not null) && listener.ListenerFilters.All(f => f.Name != TlsInspectorFilter))
            listener.ListenerFilters.Add(new ListenerFilter { Name = TlsInspectorFilter, TypedConfig = Any.Pack(new TlsInspector()) });
    }

    /// <summary>gRPC's xDS client writes no access logs.</summary>
    public override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, JsonObject conf) =>
        Read(conf)?.Backends is { Count: > 0 } ? [new ProxylessGap("default.backends", "gRPC's xDS client writes no access logs")] : [];

    public override IEnumerable<ProxylessGap> ProxylessDestinationGaps(OutboundTarget target, JsonObject conf) =>
        Read(conf)?.Backends is { Count: > 0 }
            ? [new ProxylessGap("default.backends", "a proxyless destination has no proxy to log its inbound traffic, and gRPC's xDS client writes no access logs")]
            : [];

    /// <summary>
    /// Fills the proxy's own values into every access log its listeners carry, and adds one cluster per
    /// OpenTelemetry collector, numbered as Kuma numbers them (in the order the proxy's inbounds, then outbounds,
    /// first log to each).
    /// </summary>
    public override void ProxyResources(ProxyResources resources, ProxyWideTarget target, ProxyWideConfs confs)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(confs);
        var passthrough = Read(confs.Passthrough);
        if (passthrough is not null) LogPassthrough(resources, passthrough);
        // Kuma numbers collectors as it meets them: inbounds, outbounds, then the passthrough.
        var collectors = OtelCollectors.Number(confs.Used.Select(Read).Append(passthrough).OfType<MeshAccessLogConf>());
        var values = new ProxyValues(target.Mesh, target.Address, IdentifyingService(target), SocketPath(target));
        foreach (var name in resources.ListenersContaining(Placeholders.Marker))
        {
            if (resources.Listener(name) is { } listener) FillListener(listener, values, collectors);
        }
        var ipv6 = target.Address.Contains(':', StringComparison.Ordinal);
        foreach (var (collector, index) in collectors) resources.Add(OtelCollectors.ClusterFor(collector, index, ipv6));
    }

    private static void LogPassthrough(ProxyResources resources, MeshAccessLogConf conf)
    {
        var entries = AccessLogEntries.For(conf, AccessLogEntries.DefaultFormat("tcp"), new UnitValues(Inbound: false, PassthroughDestination));
        if (entries.Count == 0) return;
        foreach (var name in new[] { EnvoyNames.OutboundPassthroughIpv4, EnvoyNames.OutboundPassthroughIpv6 })
        {
            if (resources.Listener(name) is { } listener) Append(listener, entries);
        }
    }

    /// <summary>
    /// Kuma's name for the proxy in access logs: the first, in ordinal order, of the services its inbounds carry
    /// (not the first inbound's), or <c>unknown</c>.
    /// </summary>
    public static string IdentifyingService(ProxyWideTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Inbounds.IsDefaultOrEmpty
            ? Placeholders.UnknownService
            : target.Inbounds.Select(t => t.Values.GetValueOrDefault(ServiceEndpoint.ServiceTag)).OfType<string>()
                .Order(StringComparer.Ordinal).FirstOrDefault() ?? Placeholders.UnknownService;
    }

    /// <summary>The socket kuma-dp reads TCP access logs from: Kuma's name for it in kuma-dp's work directory.</summary>
    public static string SocketPath(ProxyWideTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Node.KumaDpSocket($"kuma-al-{target.Dataplane}-{target.Mesh}");
    }

    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";

    private static void Append(Listener listener, List<AccessLog> entries)
    {
        if (entries.Count == 0) return;
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => hcm.AccessLog.Add(entries.Select(e => e.Clone())));
            EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp => tcp.AccessLog.Add(entries.Select(e => e.Clone())));
        }
    }

    private static void FillListener(Listener listener, ProxyValues values, IReadOnlyDictionary<(string Host, uint Port), int> collectors)
    {
        foreach (var chain in listener.FilterChains)
        {
            EnvoyEdit.UpdateFilter<HttpConnectionManager>(chain, EnvoyBuild.HttpConnectionManagerFilter, hcm => FillEntries(hcm.AccessLog, values, collectors));
            EnvoyEdit.UpdateFilter<TcpProxy>(chain, EnvoyBuild.TcpProxyFilter, tcp => FillEntries(tcp.AccessLog, values, collectors));
        }
    }

    private static void FillEntries(IList<AccessLog> entries, ProxyValues values, IReadOnlyDictionary<(string Host, uint Port), int> collectors)
    {
        foreach (var entry in entries) AccessLogFill.Fill(entry, values, collectors);
    }

    private static MeshAccessLogConf? Read(JsonObject? conf) =>
        conf is null ? null : TypedConfs.GetValue(conf, c => c.Deserialize<MeshAccessLogConf>(SpecBinder.Options)!);

    private static readonly ConditionalWeakTable<JsonObject, MeshAccessLogConf> TypedConfs = new();
}
