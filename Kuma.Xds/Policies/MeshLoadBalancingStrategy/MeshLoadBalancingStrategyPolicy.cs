using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshLoadBalancingStrategy;

public static class MeshLoadBalancingStrategyPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: false, HasRules: false);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane];
    private static readonly string[] ToKinds = [Mesh, MeshService, MeshMultiZoneService, MeshHTTPRoute];
    private static readonly string[] ToKindsUnderGateway = [Mesh, MeshService, MeshMultiZoneService];

    public static readonly string[] LoadBalancerTypes = ["RoundRobin", "LeastRequest", "RingHash", "Random", "Maglev"];
    public static readonly string[] HashPolicyTypes = ["Header", "Cookie", "Connection", "SourceIP", "QueryParameter", "FilterState"];
    public static readonly string[] HashFunctions = ["XXHash", "MurmurHash2"];

    public static readonly ResourceDescriptor<PolicySpec<MeshLoadBalancingStrategyConf>> Descriptor = new()
    {
        Name = "MeshLoadBalancingStrategy",
        Plural = "meshloadbalancingstrategies",
        ShortName = "mlbs",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private const string MustBeDefined = "must be defined";
    private const string MustNotBeEmpty = "must not be empty";
    private const string OnlyHashPoliciesOnRoutes = "field is not allowed when targetRef.kind is MeshHTTPRoute, only hashPolicies is supported";

    /// <summary>Kuma's order: the top targetRef, then each <c>to</c> entry (targetRef, then its default). An empty <c>to</c> is valid.</summary>
    private static void Validate(PolicySpec<MeshLoadBalancingStrategyConf> spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors, new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: false));
        var topKind = spec.TargetRef?.Kind ?? Mesh;
        for (var i = 0; i < (spec.To?.Count ?? 0); i++)
        {
            var item = spec.To![i];
            var p = path.Field("to").Index(i);
            var conf = item.Default ?? new MeshLoadBalancingStrategyConf();
            CheckToTargetRef(item.TargetRef, topKind, conf, p.Field("targetRef"), errors);
            ValidateConf(conf, item.TargetRef, p.Field("default"), errors);
        }
        if (spec.From is not null) errors.Add(path.Field("from"), "this policy does not support this section");
        if (spec.Rules is not null) errors.Add(path.Field("rules"), "this policy does not support this section");
    }

    /// <summary>
    /// Under a MeshGateway a load balancer can only be set mesh-wide; Kuma then names the top-level kind in its
    /// message. A MeshExternalService destination is balanced at the zone egress, for every client alike.
    /// </summary>
    private static void CheckToTargetRef(TargetRef? targetRef, string topKind, MeshLoadBalancingStrategyConf conf, FieldPath path, ValidationErrors errors)
    {
        if (targetRef is null)
        {
            errors.Add(path.Field("kind"), MustBeDefined);
            return;
        }
        if (topKind == MeshGateway && conf.LoadBalancer is not null && targetRef.Kind is { Length: > 0 } kind && kind != Mesh)
            errors.Add(path.Field("kind"), $"value '{topKind}' is not supported, only {Mesh} is allowed if loadBalancer is set");
        else
            PolicyValidation.CheckTargetRef(targetRef, path, topKind == MeshGateway ? ToKindsUnderGateway : ToKinds, errors);
        if (targetRef.Kind == MeshExternalService && topKind != Mesh)
        {
            errors.Add(path.Field("kind"),
                "kind MeshExternalService is only allowed with targetRef.kind: Mesh as it is configured on the Zone Egress and shared by all clients in the mesh");
        }
    }

    private static void ValidateConf(MeshLoadBalancingStrategyConf conf, TargetRef? to, FieldPath path, ValidationErrors errors)
    {
        if (to?.Kind == MeshHTTPRoute)
        {
            CheckHashPolicies(conf.HashPolicies, path.Field("hashPolicies"), errors);
            if (conf.LoadBalancer is not null) errors.Add(path.Field("loadBalancer"), OnlyHashPoliciesOnRoutes);
            if (conf.LocalityAwareness is not null) errors.Add(path.Field("localityAwareness"), OnlyHashPoliciesOnRoutes);
            return;
        }
        if (conf.LoadBalancer is { } lb) CheckLoadBalancer(lb, path.Field("loadBalancer"), errors);
        if (conf.LocalityAwareness is { } locality) CheckLocalityAwareness(locality, to, path.Field("localityAwareness"), errors);
        CheckHashPolicies(conf.HashPolicies, path.Field("hashPolicies"), errors);
        if (conf.HashPolicies is not null && conf.LoadBalancer is { } both)
        {
            const string Twice = "hashPolicies already specified in the root level";
            if (both.RingHash?.HashPolicies is not null) errors.Add(path.Field("loadBalancer").Field("ringHash").Field("hashPolicies"), Twice);
            if (both.Maglev?.HashPolicies is not null) errors.Add(path.Field("loadBalancer").Field("maglev").Field("hashPolicies"), Twice);
        }
    }

    /// <summary>Only the settings of the chosen type are checked, as in Kuma (its schema refuses unknown types; so do we).</summary>
    private static void CheckLoadBalancer(LoadBalancer lb, FieldPath path, ValidationErrors errors)
    {
        switch (lb.Type)
        {
            case "RingHash" when lb.RingHash is { } ringHash:
                if (ringHash.HashFunction is { } function && !HashFunctions.Contains(function))
                    errors.Add(path.Field("ringHash").Field("hashFunction"), $"should be one of [{string.Join(", ", HashFunctions)}]");
                CheckHashPolicies(ringHash.HashPolicies, path.Field("ringHash").Field("hashPolicies"), errors);
                break;
            case "Maglev" when lb.Maglev is { } maglev:
                CheckHashPolicies(maglev.HashPolicies, path.Field("maglev").Field("hashPolicies"), errors);
                break;
            case "LeastRequest" when lb.LeastRequest?.ActiveRequestBias is { } bias:
                var p = path.Field("leastRequest").Field("activeRequestBias");
                if (Percentages.Read(bias, p, errors) is { } value && value < 0) errors.Add(p, "must be greater or equal then: 0");
                break;
            case "RoundRobin" or "Random" or "RingHash" or "Maglev" or "LeastRequest":
                break;
            default:
                errors.Add(path.Field("type"), $"should be one of [{string.Join(", ", LoadBalancerTypes)}]");
                break;
        }
    }

    private static void CheckLocalityAwareness(LocalityAwareness locality, TargetRef? to, FieldPath path, ValidationErrors errors)
    {
        if (locality.LocalZone is { } localZone) CheckLocalZone(localZone, path.Field("localZone"), errors);
        if (locality.CrossZone is { } crossZone) CheckCrossZone(crossZone, to, path.Field("crossZone"), errors);
    }

    private static void CheckLocalZone(LocalZone localZone, FieldPath path, ValidationErrors errors)
    {
        var tags = localZone.AffinityTags ?? [];
        var weighted = 0;
        for (var i = 0; i < tags.Count; i++)
        {
            var p = path.Field("affinityTags").Index(i);
            if (tags[i].Key.Length == 0) errors.Add(p.Field("key"), MustNotBeEmpty);
            if (tags[i].Weight is not { } weight) continue;
            if (weight == 0) errors.Add(p.Field("weight"), "must be greater than 0");
            weighted++;
        }
        if (weighted > 0 && weighted != tags.Count) errors.Add(path.Field("affinityTags"), "all or none affinity tags should have weight");
    }

    private static void CheckCrossZone(CrossZone crossZone, TargetRef? to, FieldPath path, ValidationErrors errors)
    {
        // A MeshService named by section or labels is a real, zone-local service: there is no other zone to fail over to.
        if (to?.Kind == MeshService && (to.SectionName is { Length: > 0 } || to.Labels is { Count: > 0 }))
            errors.Add(path, "must not be set: MeshService traffic is local");
        var failover = crossZone.Failover ?? [];
        for (var i = 0; i < failover.Count; i++)
        {
            var p = path.Field("failover").Index(i);
            if (failover[i].From is { } from)
            {
                if (from.Zones.Count == 0) errors.Add(p.Field("from").Field("zones"), MustNotBeEmpty);
                for (var z = 0; z < from.Zones.Count; z++)
                {
                    if (from.Zones[z].Length == 0) errors.Add(p.Field("from").Field("zones").Index(z), MustNotBeEmpty);
                }
            }
            var target = failover[i].To;
            var zones = p.Field("to").Field("zones");
            switch (target.Type)
            {
                case "Any" or "None":
                    if (target.Zones is { Count: > 0 }) errors.Add(zones, $"must be empty when type is {target.Type}");
                    break;
                case "AnyExcept" or "Only":
                    if (target.Zones is not { Count: > 0 }) errors.Add(zones, $"must not be empty when type is {target.Type}");
                    break;
                default:
                    errors.Add(p.Field("to").Field("type"), "unrecognized type");
                    break;
            }
        }
        if (crossZone.FailoverThreshold is { } threshold)
        {
            var p = path.Field("failoverThreshold").Field("percentage");
            if (threshold.Percentage is not { } percentage) errors.Add(p, MustBeDefined);
            else if (Percentages.Read(percentage, p, errors) is { } value)
            {
                if (value is < 0 or > 100) errors.Add(p, "must be in inclusive range [0.0, 100.0]");
                else if (value == 0) errors.Add(p, "must be greater than 0");
            }
        }
    }

    private static void CheckCookie(CookieHashKey? cookie, FieldPath path, ValidationErrors errors)
    {
        if (cookie is null)
        {
            errors.Add(path, MustBeDefined);
            return;
        }
        if (cookie.Path is { } cookiePath && !cookiePath.StartsWith('/')) errors.Add(path.Field("path"), "must be an absolute path");
        if (cookie.Ttl is { } ttl && !Durations.TryParse(ttl, out _)) errors.Add(path.Field("ttl"), Durations.InvalidMessage);
    }

    private static void CheckHashPolicies(List<HashPolicy>? policies, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (policies?.Count ?? 0); i++)
        {
            var policy = policies![i];
            var p = path.Index(i);
            switch (policy.Type)
            {
                case "Header" when policy.Header is null:
                    errors.Add(p.Field("header"), MustBeDefined);
                    break;
                case "Cookie":
                    CheckCookie(policy.Cookie, p.Field("cookie"), errors);
                    break;
                case "QueryParameter" when policy.QueryParameter is null:
                    errors.Add(p.Field("queryParameter"), MustBeDefined);
                    break;
                case "FilterState" when policy.FilterState is null:
                    errors.Add(p.Field("filterState"), MustBeDefined);
                    break;
                case "Connection" or "SourceIP" when policy.Connection is null:
                    errors.Add(p.Field("connection"), MustBeDefined);
                    break;
                case "Header" or "QueryParameter" or "FilterState" or "Connection" or "SourceIP":
                    break;
                default:
                    errors.Add(p.Field("type"), $"should be one of [{string.Join(", ", HashPolicyTypes)}]");
                    break;
            }
        }
    }
}
