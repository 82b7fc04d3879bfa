namespace Kuma.Policies.MeshLoadBalancingStrategy;

/// <summary>
/// What of MeshLoadBalancingStrategy a proxyless gRPC client gets: ring hash (its ring sizes, with xxHash) with
/// header hash policies, round robin, and locality priorities and weights in its endpoints. gRPC's xDS client
/// refuses any other load balancer (the cluster falls back to round robin), hashes only on headers, and ignores
/// the overprovisioning factor: it moves to the next priority when a priority has no ready backend.
/// </summary>
internal static class MeshLoadBalancingStrategyProxyless
{
    private const string OnlyRoundRobinOrRingHash = "gRPC's xDS client balances only by round robin or ring hash; the cluster falls back to round robin";
    private const string OnlyHeaders = "gRPC's xDS client hashes only on request headers";

    public static IEnumerable<ProxylessGap> Gaps(MeshLoadBalancingStrategyConf conf)
    {
        var lb = conf.LoadBalancer;
        var gaps = new List<ProxylessGap>();
        if (lb?.Type is "LeastRequest" or "Random" or "Maglev") gaps.Add(new ProxylessGap("default.loadBalancer.type", OnlyRoundRobinOrRingHash));
        if (lb?.Type == "RingHash" && lb.RingHash?.HashFunction == "MurmurHash2")
            gaps.Add(new ProxylessGap("default.loadBalancer.ringHash.hashFunction", "gRPC's ring hash hashes hosts with xxHash only"));
        AddHashGaps(gaps, conf.HashPolicies, "default.hashPolicies");
        if (conf.HashPolicies is null && lb?.Type == "RingHash") AddHashGaps(gaps, lb.RingHash?.HashPolicies, "default.loadBalancer.ringHash.hashPolicies");
        if (conf.HashPolicies is null && lb?.Type == "Maglev") AddHashGaps(gaps, lb.Maglev?.HashPolicies, "default.loadBalancer.maglev.hashPolicies");
        gaps.AddRange(ProxylessGap.IfSet(conf.LocalityAwareness?.CrossZone?.FailoverThreshold, "default.localityAwareness.crossZone.failoverThreshold",
            "gRPC's xDS client ignores the overprovisioning factor: it fails over when a priority has no ready backend"));
        return gaps;
    }

    private static void AddHashGaps(List<ProxylessGap> gaps, List<HashPolicy>? policies, string field)
    {
        if (policies?.Any(p => p.Type != "Header") == true) gaps.Add(new ProxylessGap($"{field}[].type", OnlyHeaders));
    }
}
