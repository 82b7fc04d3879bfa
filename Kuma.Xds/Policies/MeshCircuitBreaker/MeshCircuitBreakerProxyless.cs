namespace Kuma.Policies.MeshCircuitBreaker;

/// <summary>
/// What of MeshCircuitBreaker a proxyless gRPC client gets: of the thresholds only <c>max_requests</c>, and of
/// outlier detection the interval, ejection time and percentage and the success-rate and failure-percentage
/// detectors (what gRPC's xDS client reads of a cluster).
/// </summary>
internal static class MeshCircuitBreakerProxyless
{
    private const string OnlyMaxRequests = "gRPC's xDS client reads only max_requests of a cluster's circuit breakers";
    private const string NoConsecutive = "gRPC's outlier detection has only the success-rate and failure-percentage detectors";

    public static IEnumerable<ProxylessGap> Gaps(MeshCircuitBreakerConf conf)
    {
        var limits = conf.ConnectionLimits;
        var outlier = conf.OutlierDetection is { Disabled: not true } enabled ? enabled : null;
        var detectors = outlier?.Detectors;
        return
        [
            .. ProxylessGap.IfSet(limits?.MaxConnections, "default.connectionLimits.maxConnections", OnlyMaxRequests),
            .. ProxylessGap.IfSet(limits?.MaxConnectionPools, "default.connectionLimits.maxConnectionPools", OnlyMaxRequests),
            .. ProxylessGap.IfSet(limits?.MaxPendingRequests, "default.connectionLimits.maxPendingRequests", OnlyMaxRequests),
            .. ProxylessGap.IfSet(limits?.MaxRetries, "default.connectionLimits.maxRetries", OnlyMaxRequests),
            .. ProxylessGap.IfSet(outlier?.SplitExternalAndLocalErrors, "default.outlierDetection.splitExternalAndLocalErrors",
                "gRPC's outlier detection does not tell local from external errors"),
            .. ProxylessGap.IfSet(outlier?.HealthyPanicThreshold, "default.outlierDetection.healthyPanicThreshold",
                "gRPC's xDS client has no healthy panic threshold"),
            .. ProxylessGap.IfSet(detectors?.TotalFailures, "default.outlierDetection.detectors.totalFailures", NoConsecutive),
            .. ProxylessGap.IfSet(detectors?.GatewayFailures, "default.outlierDetection.detectors.gatewayFailures", NoConsecutive),
            .. ProxylessGap.IfSet(detectors?.LocalOriginFailures, "default.outlierDetection.detectors.localOriginFailures", NoConsecutive),
        ];
    }
}
