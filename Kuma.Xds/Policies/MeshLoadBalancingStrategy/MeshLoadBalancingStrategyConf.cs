using System.Text.Json.Nodes;

namespace Kuma.Policies.MeshLoadBalancingStrategy;

/// <summary>The <c>default</c> block of a MeshLoadBalancingStrategy <c>to</c> entry.</summary>
public sealed class MeshLoadBalancingStrategyConf
{
    public LocalityAwareness? LocalityAwareness { get; set; }
    public LoadBalancer? LoadBalancer { get; set; }
    /// <summary>Where Kuma now wants hash policies; the ones under ringHash/maglev are its deprecated place.</summary>
    public List<HashPolicy>? HashPolicies { get; set; }
}

public sealed class LocalityAwareness
{
    public bool? Disabled { get; set; }
    public LocalZone? LocalZone { get; set; }
    public CrossZone? CrossZone { get; set; }
}

public sealed class LocalZone
{
    public List<AffinityTag>? AffinityTags { get; set; }
}

public sealed class AffinityTag
{
    public string Key { get; set; } = "";
    public uint? Weight { get; set; }
}

public sealed class CrossZone
{
    public List<Failover>? Failover { get; set; }
    public FailoverThreshold? FailoverThreshold { get; set; }
}

public sealed class Failover
{
    public FromZones? From { get; set; }
    public ToZones To { get; set; } = new();
}

public sealed class FromZones
{
    public List<string> Zones { get; set; } = [];
}

public sealed class ToZones
{
    /// <summary>None, Only, Any or AnyExcept.</summary>
    public string Type { get; set; } = "";
    public List<string>? Zones { get; set; }
}

public sealed class FailoverThreshold
{
    /// <summary>Integer or decimal string.</summary>
    public JsonNode? Percentage { get; set; }
}

public sealed class LoadBalancer
{
    /// <summary>RoundRobin, LeastRequest, RingHash, Random or Maglev.</summary>
    public string Type { get; set; } = "";
    public JsonObject? RoundRobin { get; set; }
    public LeastRequest? LeastRequest { get; set; }
    public RingHash? RingHash { get; set; }
    public JsonObject? Random { get; set; }
    public Maglev? Maglev { get; set; }
}

public sealed class LeastRequest
{
    public uint? ChoiceCount { get; set; }
    /// <summary>Integer or decimal string.</summary>
    public JsonNode? ActiveRequestBias { get; set; }
}

public sealed class RingHash
{
    /// <summary>XXHash or MurmurHash2.</summary>
    public string? HashFunction { get; set; }
    public uint? MinRingSize { get; set; }
    public uint? MaxRingSize { get; set; }
    public List<HashPolicy>? HashPolicies { get; set; }
}

public sealed class Maglev
{
    public uint? TableSize { get; set; }
    public List<HashPolicy>? HashPolicies { get; set; }
}

public sealed class HashPolicy
{
    /// <summary>Header, Cookie, Connection, SourceIP (Kuma's deprecated name of Connection), QueryParameter or FilterState.</summary>
    public string Type { get; set; } = "";
    public bool? Terminal { get; set; }
    public NamedHashKey? Header { get; set; }
    public CookieHashKey? Cookie { get; set; }
    public ConnectionHashKey? Connection { get; set; }
    public NamedHashKey? QueryParameter { get; set; }
    public FilterStateHashKey? FilterState { get; set; }
}

public sealed class NamedHashKey
{
    public string Name { get; set; } = "";
}

public sealed class CookieHashKey
{
    public string Name { get; set; } = "";
    public string? Ttl { get; set; }
    public string? Path { get; set; }
}

public sealed class ConnectionHashKey
{
    public bool? SourceIP { get; set; }
}

public sealed class FilterStateHashKey
{
    public string Key { get; set; } = "";
}
