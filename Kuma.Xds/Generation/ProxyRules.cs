using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Policies;
using Kuma.Policies.Rules;
using Kuma.Validation;

namespace Kuma.Xds.Generation;

/// <summary>
/// The merged rules of every policy type for one group of look-alike proxies, and the rule sets each of
/// their resources is built from. Computed once per group per generation (or kept while policies stay the same).
/// </summary>
public sealed class ProxyRules
{
    private readonly ImmutableArray<MergedRules> _merged;
    private readonly ConcurrentDictionary<string, OutboundRuleSet> _outbound = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Name, uint Port), InboundRuleSet> _inbound = new();

    private readonly SharedRuleSets _shared;

    internal ProxyRules(ProxyFacts facts, ImmutableArray<ImmutableArray<PolicyItem>> items, RouteTargets routes, SharedRuleSets shared)
    {
        Facts = facts;
        _shared = shared;
        var merged = ImmutableArray.CreateBuilder<MergedRules>(items.Length);
        for (var t = 0; t < items.Length; t++)
            merged.Add(MergedRules.Build(facts, PolicyMatcher.Select(facts, items[t], routes), PolicyTypes.All[t].Merge, shared.Merges, routes));
        _merged = merged.MoveToImmutable();
    }

    public ProxyFacts Facts { get; }

    /// <summary>Per policy type, what applies to this proxy as a whole, to each outbound and to each inbound.</summary>
    public ImmutableArray<MergedRules> Merged => _merged;

    /// <summary>The merged <c>to</c> confs of every policy type for one outbound service, and those of its single routes.</summary>
    /// <remarks>Types aimed at the whole proxy give their merged <c>default</c> to every outbound.</remarks>
    public OutboundRuleSet Outbound(string service) => _outbound.GetOrAdd(service, s =>
        _shared.Outbound([.. _merged.Select((m, t) => WholeProxy(t) ? m.Proxy : m.ToService(s))],
            [.. _merged.Select((m, t) => WholeProxy(t) ? [] : m.ToServiceRoutes(s))]));

    /// <summary>The merged <c>from</c>/<c>rules</c> of every policy type for one inbound.</summary>
    /// <remarks>Types aimed at the whole proxy give their merged <c>default</c> to every inbound as its catch-all conf.</remarks>
    public InboundRuleSet Inbound(InboundFacts inbound) => _inbound.GetOrAdd((inbound.Name, inbound.Port), _ =>
        new InboundRuleSet([.. _merged.Select((m, t) => WholeProxy(t) ? WholeProxyInbound(m) : m.ForInbound(inbound))]));

    /// <summary>Per policy type, its merged top-level <c>default</c> for the proxy as a whole (null for most types).</summary>
    public JsonObject? ProxyConf(int type) => _merged[type].Proxy;

    private static bool WholeProxy(int type) => PolicyTypes.All[type].Plugin?.AppliesToWholeProxy == true;

    private static InboundRules WholeProxyInbound(MergedRules merged) =>
        merged.Proxy is { } conf ? new InboundRules(conf, []) { ConfOrigins = merged.ProxyOrigins } : InboundRules.Empty;
}

/// <summary>
/// What groups of proxies evaluated against the same parsed policies share: merges, and outbound rule sets made
/// of the same merged objects (so resources keyed by a rule set find it by reference, and its key is made once).
/// </summary>
internal sealed class SharedRuleSets
{
    private readonly ConcurrentDictionary<ConfsByReference, OutboundRuleSet> _outbound = new();

    public MergeCache Merges { get; } = new();

    public OutboundRuleSet Outbound(ImmutableArray<JsonObject?> confs, ImmutableArray<ImmutableArray<RouteConf>> routes) =>
        _outbound.GetOrAdd(new ConfsByReference(confs, routes), key => new OutboundRuleSet(key.Confs, key.Routes));

    /// <summary>Confs compared by reference; route confs by route name and conf reference.</summary>
    private readonly struct ConfsByReference(ImmutableArray<JsonObject?> confs, ImmutableArray<ImmutableArray<RouteConf>> routes)
        : IEquatable<ConfsByReference>
    {
        public ImmutableArray<JsonObject?> Confs { get; } = confs;
        public ImmutableArray<ImmutableArray<RouteConf>> Routes { get; } = routes;

        public bool Equals(ConfsByReference other)
        {
            if (Confs.Length != other.Confs.Length || Routes.Length != other.Routes.Length) return false;
            for (var i = 0; i < Confs.Length; i++)
            {
                if (!ReferenceEquals(Confs[i], other.Confs[i])) return false;
            }
            for (var t = 0; t < Routes.Length; t++)
            {
                if (Routes[t].Length != other.Routes[t].Length) return false;
                for (var r = 0; r < Routes[t].Length; r++)
                {
                    if (Routes[t][r].RouteName != other.Routes[t][r].RouteName || !ReferenceEquals(Routes[t][r].Conf, other.Routes[t][r].Conf)) return false;
                }
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is ConfsByReference other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var conf in Confs) hash.Add(conf is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(conf));
            foreach (var route in Routes.SelectMany(perType => perType))
            {
                hash.Add(route.RouteName, StringComparer.Ordinal);
                hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(route.Conf));
            }
            return hash.ToHashCode();
        }
    }
}

/// <summary>
/// Confs per policy type (registry order) for one outbound, and per type the confs of single routes (policies
/// aimed at a MeshHTTPRoute), compared by their JSON: two proxies with the same rule set get the same resources,
/// so resources built from one are shared with the other.
/// </summary>
public sealed class OutboundRuleSet : IEquatable<OutboundRuleSet>
{
    internal OutboundRuleSet(ImmutableArray<JsonObject?> confs, ImmutableArray<ImmutableArray<RouteConf>> routes)
    {
        Confs = confs;
        Routes = routes;
        var key = new StringBuilder(KeyOf(confs));
        foreach (var perType in routes)
        {
            foreach (var route in perType) key.Append(route.RouteName).Append('\u001d').Append(route.Conf.ToJsonString()).Append('\u001e');
            key.Append('\u001f');
        }
        Key = key.ToString();
        _hash = StringComparer.Ordinal.GetHashCode(Key);
    }

    // Rule sets are dictionary keys (inside unit inputs) looked up per outbound per proxy; their keys are long.
    private readonly int _hash;

    /// <summary>Confs without any per-route ones.</summary>
    public static OutboundRuleSet Of(IEnumerable<JsonObject?> confs)
    {
        ImmutableArray<JsonObject?> all = [.. confs];
        return new(all, [.. all.Select(_ => ImmutableArray<RouteConf>.Empty)]);
    }

    public ImmutableArray<JsonObject?> Confs { get; }

    /// <summary>Per policy type, the confs of single routes of the outbound by route name (none for most).</summary>
    public ImmutableArray<ImmutableArray<RouteConf>> Routes { get; }

    public string Key { get; }

    public bool Equals(OutboundRuleSet? other) => other is not null && _hash == other._hash && Key == other.Key;
    public override bool Equals(object? obj) => Equals(obj as OutboundRuleSet);
    public override int GetHashCode() => _hash;

    internal static string KeyOf(IEnumerable<JsonObject?> confs)
    {
        var key = new StringBuilder();
        foreach (var conf in confs) key.Append(conf?.ToJsonString() ?? "-").Append('\u001f');
        return key.ToString();
    }
}

/// <summary>Inbound rules per policy type (registry order), compared by their JSON.</summary>
public sealed class InboundRuleSet : IEquatable<InboundRuleSet>
{
    internal InboundRuleSet(ImmutableArray<InboundRules> rules)
    {
        Rules = rules;
        var key = new StringBuilder();
        foreach (var rule in rules)
        {
            // Everything a plugin may read: the merged conf, the conditional rules and the per-caller entries, with
            // their origins (filters can be named after the policy that made them).
            key.Append(rule.Conf?.ToJsonString() ?? "-").Append('\u001e');
            foreach (var r in rule.Rules)
                key.Append(JsonSerializer.Serialize(r.Match, SpecBinder.Options)).Append(r.Conf.ToJsonString()).Append(r.Origin).Append('\u001d');
            key.Append('\u001e');
            foreach (var f in rule.From)
                key.Append(JsonSerializer.Serialize(f.TargetRef, SpecBinder.Options)).Append(f.Conf.ToJsonString()).Append(f.Origin).Append('\u001d');
            key.Append('\u001f');
        }
        Key = key.ToString();
        _hash = StringComparer.Ordinal.GetHashCode(Key);
    }

    private readonly int _hash;

    public ImmutableArray<InboundRules> Rules { get; }
    public string Key { get; }

    public bool Equals(InboundRuleSet? other) => other is not null && _hash == other._hash && Key == other.Key;
    public override bool Equals(object? obj) => Equals(obj as InboundRuleSet);
    public override int GetHashCode() => _hash;
}
