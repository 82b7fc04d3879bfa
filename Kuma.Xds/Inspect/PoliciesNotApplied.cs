using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Grains;
using Kuma.Policies;
using Kuma.Policies.Rules;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Inspect;

/// <summary>
/// A part of the policies that reaches a proxyless client's config but that the client does not act on, or that
/// the proxyless conversion leaves out: for one service the client calls, the field (<c>to[].default.idleTimeout</c>),
/// the policies whose entries set it, and why.
/// </summary>
public sealed record NotApplied(string Type, string Service, string Field, ImmutableArray<string> Policies, string Reason);

/// <summary>
/// What of the policies a proxyless gRPC client does not get, computed from the merged rules of the services it
/// subscribed to: its <c>to</c> rules for each, and the inbound rules of a proxyless destination that its callers
/// apply in the destination's place. Each policy type's plugin knows what gRPC cannot do with its conf
/// (<see cref="PolicyPlugin.ProxylessGaps"/>). A field counts against the policies whose own entries set it, as
/// long as the merged conf still has it (a value another policy replaced was not dropped for gRPC's sake).
/// </summary>
public static class PoliciesNotApplied
{
    /// <summary>The service a gap of a policy aimed at the whole proxy is listed under.</summary>
    public const string EveryService = "*";

    private const string ByIdentity = "rules that match callers by identity (spiffeID or SNI) are not applied by proxyless callers";

    /// <summary>The services a proxyless client's subscriptions are about: listeners and clusters (split ones by their service).</summary>
    public static ImmutableArray<string> ServicesOf(MeshContext mesh, StreamClient client)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(client);
        var names = (client.On(TypeUrls.Listener)?.Names ?? []).Concat(client.On(TypeUrls.Cluster)?.Names ?? []);
        return [.. names.Select(mesh.ServiceOfCluster).OfType<string>().Distinct().Order(StringComparer.Ordinal)];
    }

    public static ImmutableArray<NotApplied> For(MeshContext mesh, string proxy, IEnumerable<string> services)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var rules = mesh.ForProxy(proxy).Rules;
        var found = new List<(string Type, string Service, string Field, string Reason, string Policy)>();
        // Policies aimed at the proxy as a whole (a top-level default) count once, for every service ("*").
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is not { } plugin || rules.Merged[t].Proxy is not { } proxyConf) continue;
            var target = new OutboundTarget(EveryService, "grpc");
            var entries = rules.Merged[t].Policies.Where(p => p.Default is not null).Select(p => (p.Default!, PolicyOrigin.Of(p, "default", 0)));
            Attribute(plugin.ProxylessGaps(target, proxyConf), entries, c => plugin.ProxylessGaps(target, c),
                (field, reason, policy) => found.Add((PolicyTypes.All[t].Name, EveryService, field, reason, policy)));
        }
        AddServerGaps(mesh, proxy, rules, found);
        foreach (var service in services)
        {
            var target = new OutboundTarget(service, mesh.ProtocolOf(service));
            var destination = mesh.ProxylessDestination(service, rules);
            for (var t = 0; t < PolicyTypes.All.Count; t++)
            {
                if (PolicyTypes.All[t].Plugin is not { } plugin) continue;
                void Add(string field, string reason, string policy) => found.Add((PolicyTypes.All[t].Name, service, field, reason, policy));
                var merged = rules.Merged[t];
                if (merged.ToService(service) is { } conf)
                    Attribute(plugin.ProxylessGaps(target, conf), merged.ToServiceEntries(service), c => plugin.ProxylessGaps(target, c), Add);
                // Routes with confs of their own (policies aimed at a MeshHTTPRoute) reach the client as well.
                foreach (var route in merged.ToServiceRoutes(service))
                    Attribute(plugin.ProxylessGaps(target, route.Conf), merged.ToServiceRouteEntries(service, route.RouteName), c => plugin.ProxylessGaps(target, c), Add);
                if (destination is not { } d) continue;
                var inbound = d.Rules.Rules[t];
                if (inbound.ConfForCaller(d.CallerTags, PolicyTypes.All[t].Merge) is { } atDestination)
                {
                    var entries = inbound.Rules.Where(r => r.Match is null).Select(r => (r.Conf, r.Origin))
                        .Concat(inbound.From.Where(f => FromRule.SelectsCaller(f.TargetRef, d.CallerTags)).Select(f => (f.Conf, f.Origin)))
                        .DistinctBy(e => e.Origin);
                    Attribute(plugin.ProxylessDestinationGaps(target, atDestination), entries, c => plugin.ProxylessDestinationGaps(target, c), Add);
                }
                foreach (var conditional in inbound.Rules.Where(r => r.Match is not null)) Add("rules[]", ByIdentity, conditional.Origin.Policy);
            }
        }
        return
        [
            .. found.GroupBy(f => (f.Type, f.Service, f.Field, f.Reason))
                .Select(g => new NotApplied(g.Key.Type, g.Key.Service, g.Key.Field, [.. g.Select(f => f.Policy).Distinct()], g.Key.Reason)),
        ];
    }

    /// <summary>What a proxyless server's listeners do not apply of its inbounds' rules, under each inbound's service.</summary>
    private static void AddServerGaps(MeshContext mesh, string proxy, ProxyRules rules, List<(string Type, string Service, string Field, string Reason, string Policy)> found)
    {
        if (!mesh.IsProxyless(proxy) || !mesh.Dataplanes.TryGetValue(proxy, out var spec)) return;
        foreach (var inbound in spec.Networking?.Inbound ?? [])
        {
            if (inbound.State == "Ignored" || inbound.Tags?.GetValueOrDefault(ServiceEndpoint.ServiceTag) is not { } service) continue;
            var target = new InboundTarget(service, "grpc", inbound.Port!.Value) { Mtls = mesh.ProxylessServerMtls(service) };
            var inboundRules = rules.Inbound(new InboundFacts(inbound.Name ?? "", inbound.Port.Value, inbound.Tags));
            for (var t = 0; t < PolicyTypes.All.Count; t++)
            {
                if (PolicyTypes.All[t].Plugin is not { } plugin) continue;
                foreach (var (gap, origin) in plugin.ProxylessServerGaps(target, inboundRules.Rules[t]))
                    found.Add((PolicyTypes.All[t].Name, service, origin.Section == "default" ? gap.Field : $"{origin.Section}[].{gap.Field}", gap.Reason, origin.Policy));
            }
        }
    }

    /// <summary>
    /// Each gap of the merged conf, against the entries whose own conf has the same gap; against every entry when
    /// none has it alone (a gap that only their merge makes).
    /// </summary>
    private static void Attribute(IEnumerable<ProxylessGap> mergedGaps, IEnumerable<(JsonObject Conf, PolicyOrigin Origin)> entries,
        Func<JsonObject, IEnumerable<ProxylessGap>> gapsOf, Action<string, string, string> add)
    {
        var gaps = mergedGaps.ToList();
        if (gaps.Count == 0) return;
        var byEntry = entries.Select(e => (e.Origin, Gaps: gapsOf(e.Conf).ToHashSet())).ToList();
        foreach (var gap in gaps)
        {
            var setting = byEntry.Where(e => e.Gaps.Contains(gap)).ToList();
            foreach (var (origin, _) in setting.Count > 0 ? setting : byEntry)
                add(origin.Section == "default" ? gap.Field : $"{origin.Section}[].{gap.Field}", gap.Reason, origin.Policy);
        }
    }
}
