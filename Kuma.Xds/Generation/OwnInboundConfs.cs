using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Policies;

namespace Kuma.Xds.Generation;

/// <summary>
/// Per policy type, the merged conf of a proxy's first inbound, kept only for types whose plugins shape outbound
/// clusters by it (<see cref="PolicyPlugin.OutboundReadsOwnInbound"/>). Compared by content, so proxies of different
/// rule groups with equal confs still share their clusters.
/// </summary>
public sealed class OwnInboundConfs : IEquatable<OwnInboundConfs>
{
    private readonly string _key;

    private OwnInboundConfs(ImmutableArray<JsonObject?> confs)
    {
        Confs = confs;
        _key = string.Join('\u001f', confs.Select(c => c?.ToJsonString() ?? ""));
    }

    public ImmutableArray<JsonObject?> Confs { get; }

    /// <summary>The confs of these inbound rules that some plugin reads for outbound clusters, or null when there are none.</summary>
    public static OwnInboundConfs? Of(InboundRuleSet inbound)
    {
        JsonObject?[]? confs = null;
        for (var t = 0; t < PolicyTypes.All.Count; t++)
        {
            if (PolicyTypes.All[t].Plugin is not { OutboundReadsOwnInbound: true } || inbound.Rules[t].Conf is not { } conf) continue;
            confs ??= new JsonObject?[PolicyTypes.All.Count];
            confs[t] = conf;
        }
        return confs is null ? null : new OwnInboundConfs([.. confs]);
    }

    public bool Equals(OwnInboundConfs? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as OwnInboundConfs);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
}
