using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Kuma.Policies;

namespace Kuma.Xds.Generation;

/// <summary>
/// Per policy type, the part of a proxy's first inbound conf that the type's plugin shapes outbound clusters by
/// (<see cref="PolicyPlugin.OwnInboundForOutbound"/>). Compared by content, so proxies of different rule groups with
/// equal parts still share their clusters.
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
            if (inbound.Rules[t].Conf is not { } conf || PolicyTypes.All[t].Plugin?.OwnInboundForOutbound(conf) is not { } part) continue;
            confs ??= new JsonObject?[PolicyTypes.All.Count];
            confs[t] = part;
        }
        return confs is null ? null : new OwnInboundConfs([.. confs]);
    }

    public bool Equals(OwnInboundConfs? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as OwnInboundConfs);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_key);
}
