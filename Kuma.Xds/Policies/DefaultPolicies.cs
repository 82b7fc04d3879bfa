using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTimeout;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Policies;

/// <summary>The policies Kuma creates with every new mesh, so a fresh mesh behaves sensibly before anyone writes one.</summary>
public sealed class DefaultPolicies : IMeshDefaults
{
    public static DefaultPolicies Instance { get; } = new();

    public IReadOnlyList<(string Type, string Name, string SpecJson)> For(string mesh, IReadOnlyCollection<string>? skip)
    {
        var all = new (string, string, string)[]
        {
            (MeshTimeoutPolicy.Descriptor.Name, $"mesh-timeout-all-{mesh}", SpecBinder.ToCanonicalJson(SidecarTimeouts())),
            (MeshTimeoutPolicy.Descriptor.Name, $"mesh-gateways-timeout-all-{mesh}", SpecBinder.ToCanonicalJson(GatewayTimeouts())),
            (MeshCircuitBreakerPolicy.Descriptor.Name, $"mesh-circuit-breaker-all-{mesh}", SpecBinder.ToCanonicalJson(CircuitBreaker())),
            (MeshRetryPolicy.Descriptor.Name, $"mesh-retry-all-{mesh}", SpecBinder.ToCanonicalJson(Retry())),
        };
        if (skip is null || skip.Count == 0) return all;
        return skip.Contains("*") ? [] : all.Where(p => !skip.Contains(p.Item1)).ToList();
    }

    private static TargetRef MeshRef(params string[] proxyTypes) =>
        new() { Kind = TargetRefKinds.Mesh, ProxyTypes = proxyTypes.Length > 0 ? [.. proxyTypes] : null };

    private static PolicySpec<MeshTimeoutConf> SidecarTimeouts() => new()
    {
        TargetRef = MeshRef("Sidecar"),
        From =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new()
                {
                    ConnectionTimeout = "10s", IdleTimeout = "2h",
                    Http = new() { RequestTimeout = "0s", StreamIdleTimeout = "1h", MaxStreamDuration = "0s" },
                },
            },
        ],
        To =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new()
                {
                    ConnectionTimeout = "5s", IdleTimeout = "1h",
                    Http = new() { RequestTimeout = "15s", StreamIdleTimeout = "30m" },
                },
            },
        ],
    };

    private static PolicySpec<MeshTimeoutConf> GatewayTimeouts() => new()
    {
        TargetRef = MeshRef("Gateway"),
        From =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new() { IdleTimeout = "5m", Http = new() { StreamIdleTimeout = "5s", RequestHeadersTimeout = "500ms" } },
            },
        ],
        To =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new() { IdleTimeout = "1h", Http = new() { StreamIdleTimeout = "5s" } },
            },
        ],
    };

    private static PolicySpec<MeshCircuitBreakerConf> CircuitBreaker() => new()
    {
        TargetRef = MeshRef(),
        To =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new()
                {
                    ConnectionLimits = new() { MaxConnections = 1024, MaxPendingRequests = 1024, MaxRequests = 1024, MaxRetries = 3 },
                },
            },
        ],
    };

    private static PolicySpec<MeshRetryConf> Retry() => new()
    {
        TargetRef = MeshRef(),
        To =
        [
            new()
            {
                TargetRef = MeshRef(),
                Default = new()
                {
                    Tcp = new() { MaxConnectAttempt = 5 },
                    Http = new()
                    {
                        NumRetries = 5, PerTryTimeout = "16s",
                        BackOff = new() { BaseInterval = "25ms", MaxInterval = "250ms" },
                    },
                    Grpc = new()
                    {
                        NumRetries = 5, PerTryTimeout = "16s",
                        BackOff = new() { BaseInterval = "25ms", MaxInterval = "250ms" },
                    },
                },
            },
        ],
    };
}
