using System.Collections.Immutable;

namespace Kuma.Xds.Generation;

/// <summary>Where a service can be reached: one inbound of one dataplane.</summary>
public sealed record ServiceEndpoint(string Address, uint Port, ImmutableSortedDictionary<string, string> Tags)
{
    public const string ServiceTag = "kuma.io/service";
    public const string ProtocolTag = "kuma.io/protocol";
    public const string ZoneTag = "kuma.io/zone";

    public string Zone => Tags.GetValueOrDefault(ZoneTag) ?? "";
}
