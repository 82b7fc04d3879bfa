using System.Globalization;

namespace Kuma.LoadTest;

/// <summary>Which policies the scenario's meshes hold while they are measured.</summary>
public enum PolicySet
{
    /// <summary>No policy at all: the mesh is created with <c>skipCreatingInitialPolicies: ["*"]</c>.</summary>
    None,
    /// <summary>The policies every new mesh gets (MeshTimeout ×2, MeshRetry, MeshCircuitBreaker).</summary>
    Default,
    /// <summary>The defaults, plus <see cref="ScenarioPolicies.PerService"/> policies for each service, of every policy type but the security issue's.</summary>
    Heavy,
}

/// <summary>A policy as the API takes it: its collection in the mesh, its name and the body of the PUT.</summary>
public sealed record PolicyWrite(string Plural, string Name, string Json);

/// <summary>
/// The policies of the heavy variant. For each service two of each type, one selecting every proxy
/// (<c>targetRef: Mesh</c>) and aimed at that service, one selecting the service's own proxies
/// (<c>targetRef: MeshService</c>) and aimed at its neighbour, so every proxy merges one policy per service
/// per type for its outbounds and a few more of its own. Faults act at the callee: one on the service's proxies
/// for every caller, one on its neighbour's proxies for calls from the service. Routes split part of the traffic between the
/// service's <c>version</c> subsets; faults hit one request in ten thousand, so traffic is unaffected.
/// The other types come once per service: each is aimed at (or selects) the service or its neighbour, so every
/// proxy gets some of each kind of work: per-caller endpoints (locality by <c>version</c>), access-log
/// placeholders, proxy-wide resources (metrics, tracing), patches. Passthrough acts only on transparent proxies,
/// which the scenario's are not; it is there for its selection and merge cost.
/// </summary>
public static class ScenarioPolicies
{
    /// <summary>Kuma's default policies: what a mesh created without <c>skipCreatingInitialPolicies</c> holds.</summary>
    public const int Defaults = 4;

    public static int PerService => SpecTemplates.Length;

    /// <summary>How many policies a mesh of <paramref name="services"/> services holds with <paramref name="set"/>.</summary>
    public static int Count(PolicySet set, int services) => set switch
    {
        PolicySet.None => 0,
        PolicySet.Default => Defaults,
        _ => Defaults + PerService * services,
    };

    /// <summary>The version tag of a dataplane in the heavy variant: each service has proxies of both versions.</summary>
    public static string Version(int proxy, int services) => proxy / services % 2 == 0 ? "v1" : "v2";

    public static PolicySet Parse(string value) => value switch
    {
        "none" => PolicySet.None,
        "default" => PolicySet.Default,
        "heavy" => PolicySet.Heavy,
        _ => throw new ArgumentException($"unknown policy set '{value}'; available: none, default, heavy"),
    };

    public static string Label(PolicySet set) => set.ToString().ToLowerInvariant();

    public static IEnumerable<PolicyWrite> Heavy(string mesh, int services)
    {
        for (var s = 0; s < services; s++)
        {
            var self = Service(s);
            var next = Service((s + 1) % services);
            foreach (var (plural, name, type, spec) in ForService(self, next))
                yield return new PolicyWrite(plural, name, $$"""{"type":"{{type}}","mesh":"{{mesh}}","name":"{{name}}","spec":{{spec}}}""");
        }
    }

    private static string Service(int index) => $"svc-{index.ToString(CultureInfo.InvariantCulture)}";

    // The specs name their services as $SELF and $NEXT: JSON braces and interpolation braces do not mix well.
    private static IEnumerable<(string Plural, string Name, string Type, string Spec)> ForService(string self, string next) =>
        SpecTemplates.Select(t => (t.Plural, t.Name.Replace("$SELF", self, StringComparison.Ordinal), t.Type,
            t.Spec.Replace("$SELF", self, StringComparison.Ordinal).Replace("$NEXT", next, StringComparison.Ordinal)));

    private static readonly (string Plural, string Name, string Type, string Spec)[] SpecTemplates =
    [
        ("meshtimeouts", "timeout-to-$SELF", "MeshTimeout", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"connectionTimeout":"3s","http":{"requestTimeout":"10s","streamIdleTimeout":"20m"}}}]}
            """),
        ("meshtimeouts", "timeout-of-$SELF", "MeshTimeout", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},
             "from":[{"targetRef":{"kind":"Mesh"},"default":{"idleTimeout":"30m","http":{"requestTimeout":"20s"}}}],
             "to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},"default":{"http":{"requestTimeout":"5s"}}}]}
            """),
        ("meshretries", "retry-to-$SELF", "MeshRetry", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"tcp":{"maxConnectAttempt":3},"http":{"numRetries":3,"perTryTimeout":"2s","retryOn":["5xx","Reset"]}}}]}
            """),
        ("meshretries", "retry-of-$SELF", "MeshRetry", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},
             "default":{"http":{"numRetries":1,"backOff":{"baseInterval":"50ms","maxInterval":"500ms"}}}}]}
            """),
        ("meshcircuitbreakers", "breaker-to-$SELF", "MeshCircuitBreaker", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"connectionLimits":{"maxConnections":512,"maxPendingRequests":256},
                        "outlierDetection":{"disabled":false,"interval":"5s","baseEjectionTime":"30s","detectors":{"totalFailures":{"consecutive":10}}}}}]}
            """),
        ("meshcircuitbreakers", "breaker-of-$SELF", "MeshCircuitBreaker", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},
             "default":{"connectionLimits":{"maxRequests":256}}}]}
            """),
        ("meshhttproutes", "route-to-$SELF", "MeshHTTPRoute", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},"rules":[
              {"matches":[{"path":{"type":"PathPrefix","value":"/api"}},{"headers":[{"name":"x-canary","value":"true"}]}],
               "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"$SELF","tags":{"version":"v1"},"weight":90},
                                         {"kind":"MeshServiceSubset","name":"$SELF","tags":{"version":"v2"},"weight":10}]}},
              {"matches":[{"path":{"type":"PathPrefix","value":"/v2"}}],
               "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"$SELF","tags":{"version":"v2"},"weight":100}]}}]}]}
            """),
        ("meshhttproutes", "route-of-$SELF", "MeshHTTPRoute", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},"rules":[
              {"matches":[{"path":{"type":"Exact","value":"/health"},"method":"GET"}],
               "default":{"filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-caller","value":"$SELF"}]}}],
                          "backendRefs":[{"kind":"MeshService","name":"$NEXT","weight":100}]}}]}]}
            """),
        ("meshfaultinjections", "fault-on-$SELF", "MeshFaultInjection", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"from":[{"targetRef":{"kind":"Mesh"},
             "default":{"http":[{"abort":{"httpStatus":503,"percentage":"0.01"}}]}}]}
            """),
        // Aimed at the neighbour's proxies, not at every proxy: 200 Mesh-wide policies each telling one caller apart
        // would give every inbound 400 caller subsets (~0.5 MB of fault filters per proxy, as Kuma would generate
        // too), which measures that one corner rather than a mesh with many policies; see bench/RESULTS.md.
        ("meshfaultinjections", "fault-from-$SELF", "MeshFaultInjection", """
            {"targetRef":{"kind":"MeshService","name":"$NEXT"},"from":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"http":[{"delay":{"value":"1s","percentage":"0.01"}}]}}]}
            """),
        ("meshhealthchecks", "health-to-$SELF", "MeshHealthCheck", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"interval":"10s","timeout":"2s","unhealthyThreshold":3,"healthyThreshold":1,
                        "http":{"path":"/health","expectedStatuses":[200]}}}]}
            """),
        ("meshratelimits", "ratelimit-of-$SELF", "MeshRateLimit", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"from":[{"targetRef":{"kind":"Mesh"},
             "default":{"local":{"http":{"requestRate":{"num":10000,"interval":"1s"},"onRateLimit":{"status":429}}}}}]}
            """),
        ("meshloadbalancingstrategies", "lb-to-$SELF", "MeshLoadBalancingStrategy", """
            {"targetRef":{"kind":"Mesh"},"to":[{"targetRef":{"kind":"MeshService","name":"$SELF"},
             "default":{"loadBalancer":{"type":"RingHash","ringHash":{"hashPolicies":[{"type":"Header","header":{"name":"x-user"}}]}},
                        "localityAwareness":{"localZone":{"affinityTags":[{"key":"version"}]}}}}]}
            """),
        ("meshtcproutes", "tcproute-of-$SELF", "MeshTCPRoute", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},"rules":[
              {"default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"$NEXT","tags":{"version":"v1"},"weight":50},
                                         {"kind":"MeshServiceSubset","name":"$NEXT","tags":{"version":"v2"},"weight":50}]}}]}]}
            """),
        ("meshaccesslogs", "accesslog-of-$SELF", "MeshAccessLog", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"to":[{"targetRef":{"kind":"MeshService","name":"$NEXT"},
             "default":{"backends":[{"type":"File","file":{"path":"/dev/stdout"}}]}}]}
            """),
        ("meshtraces", "trace-of-$SELF", "MeshTrace", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"default":{
             "backends":[{"type":"Zipkin","zipkin":{"url":"http://zipkin.tracing:9411/api/v2/spans"}}],"sampling":{"overall":1}}}
            """),
        ("meshmetrics", "metric-of-$SELF", "MeshMetric", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"default":{
             "backends":[{"type":"Prometheus","prometheus":{"port":5670,"path":"/metrics"}}]}}
            """),
        ("meshproxypatches", "patch-of-$SELF", "MeshProxyPatch", """
            {"targetRef":{"kind":"MeshService","name":"$SELF"},"default":{"appendModifications":[
              {"cluster":{"operation":"Patch","match":{"name":"$NEXT"},"jsonPatches":[{"op":"replace","path":"/connectTimeout","value":"2s"}]}}]}}
            """),
        ("meshpassthroughs", "passthrough-of-$SELF", "MeshPassthrough", """
            {"targetRef":{"kind":"MeshSubset","tags":{"kuma.io/service":"$SELF"}},"default":{"passthroughMode":"Matched",
             "appendMatch":[{"type":"Domain","value":"api.example.com","port":443,"protocol":"tls"}]}}
            """),
    ];
}
