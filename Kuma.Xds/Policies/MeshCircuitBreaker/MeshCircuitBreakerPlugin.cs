using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Type.V3;
using Kuma.Validation;

namespace Kuma.Policies.MeshCircuitBreaker;

/// <summary>
/// MeshCircuitBreaker as Kuma applies it to a sidecar: connection limits on the default-priority threshold
/// and outlier detection, on outbound clusters (<c>to</c>) and inbound local clusters (<c>from</c>/<c>rules</c>).
/// Every cluster tracks its remaining budget, whether or not a policy selects it.
/// </summary>
public sealed class MeshCircuitBreakerPlugin : PolicyPlugin<MeshCircuitBreakerConf>
{
    private const uint Enforced = 100;
    private const uint NotEnforced = 0;

    protected override IEnumerable<ProxylessGap> ProxylessGaps(OutboundTarget target, MeshCircuitBreakerConf conf) => MeshCircuitBreakerProxyless.Gaps(conf);

    protected override void OutboundCluster(Cluster cluster, OutboundTarget target, MeshCircuitBreakerConf? conf) => Configure(cluster, conf);

    protected override void InboundCluster(Cluster cluster, InboundTarget target, MeshCircuitBreakerConf? conf) => Configure(cluster, conf);

    public static void Configure(Cluster cluster, MeshCircuitBreakerConf? conf)
    {
        var threshold = DefaultThreshold(cluster);
        threshold.TrackRemaining = true;
        if (conf is null) return;
        if (conf.ConnectionLimits is { } limits)
        {
            if (limits.MaxConnectionPools is { } pools) threshold.MaxConnectionPools = pools;
            if (limits.MaxConnections is { } connections) threshold.MaxConnections = connections;
            if (limits.MaxPendingRequests is { } pending) threshold.MaxPendingRequests = pending;
            if (limits.MaxRetries is { } retries) threshold.MaxRetries = retries;
            if (limits.MaxRequests is { } requests) threshold.MaxRequests = requests;
        }
        if (conf.OutlierDetection is { Disabled: not true } outlier) ConfigureOutlierDetection(cluster, outlier);
    }

    private static CircuitBreakers.Types.Thresholds DefaultThreshold(Cluster cluster)
    {
        cluster.CircuitBreakers ??= new CircuitBreakers();
        if (cluster.CircuitBreakers.Thresholds.FirstOrDefault(t => t.Priority == RoutingPriority.Default) is { } existing) return existing;
        var created = new CircuitBreakers.Types.Thresholds { Priority = RoutingPriority.Default };
        cluster.CircuitBreakers.Thresholds.Add(created);
        return created;
    }

    private static void ConfigureOutlierDetection(Cluster cluster, OutlierDetection conf)
    {
        var detection = new Envoy.Config.Cluster.V3.OutlierDetection();
        if (conf.Interval is { } interval) detection.Interval = Duration(interval);
        if (conf.BaseEjectionTime is { } ejection) detection.BaseEjectionTime = Duration(ejection);
        if (conf.SplitExternalAndLocalErrors is { } split) detection.SplitExternalLocalOriginErrors = split;
        if (conf.MaxEjectionPercent is { } percent) detection.MaxEjectionPercent = percent;
        ConfigureDetectors(detection, conf.Detectors);
        cluster.OutlierDetection = detection;
        // Left out, Envoy's own panic threshold (50%) applies.
        if (conf.HealthyPanicThreshold is { } panic)
            (cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig()).HealthyPanicThreshold = new Percent { Value = (double)Decimal(panic) };
    }

    /// <summary>A detector left out is switched off (enforcing 0); one given is fully enforced (100).</summary>
    private static void ConfigureDetectors(Envoy.Config.Cluster.V3.OutlierDetection detection, Detectors? detectors)
    {
        var total = detectors?.TotalFailures?.Consecutive;
        detection.EnforcingConsecutive5Xx = total is null ? NotEnforced : Enforced;
        if (total is not null) detection.Consecutive5Xx = total;

        var localOrigin = detectors?.LocalOriginFailures?.Consecutive;
        detection.EnforcingConsecutiveLocalOriginFailure = localOrigin is null ? NotEnforced : Enforced;
        if (localOrigin is not null) detection.ConsecutiveLocalOriginFailure = localOrigin;

        var gateway = detectors?.GatewayFailures?.Consecutive;
        detection.EnforcingConsecutiveGatewayFailure = gateway is null ? NotEnforced : Enforced;
        if (gateway is not null) detection.ConsecutiveGatewayFailure = gateway;

        // Kuma leaves the two rate-based detectors untouched when no detectors block is given at all.
        if (detectors is null) return;

        var successRate = detectors.SuccessRate;
        detection.EnforcingSuccessRate = successRate is null ? NotEnforced : Enforced;
        // The local-origin variant only counts when external and local errors are split.
        detection.EnforcingLocalOriginSuccessRate = successRate is null ? NotEnforced : Enforced;
        if (successRate is not null)
        {
            if (successRate.MinimumHosts is { } hosts) detection.SuccessRateMinimumHosts = hosts;
            if (successRate.RequestVolume is { } volume) detection.SuccessRateRequestVolume = volume;
            // Envoy reads the factor in thousandths.
            if (successRate.StandardDeviationFactor is { } factor) detection.SuccessRateStdevFactor = (uint)decimal.Truncate(Decimal(factor) * 1000);
        }

        var failurePercentage = detectors.FailurePercentage;
        detection.EnforcingFailurePercentage = failurePercentage is null ? NotEnforced : Enforced;
        detection.EnforcingFailurePercentageLocalOrigin = failurePercentage is null ? NotEnforced : Enforced;
        if (failurePercentage is not null)
        {
            if (failurePercentage.MinimumHosts is { } hosts) detection.FailurePercentageMinimumHosts = hosts;
            if (failurePercentage.RequestVolume is { } volume) detection.FailurePercentageRequestVolume = volume;
            if (failurePercentage.Threshold is { } threshold) detection.FailurePercentageThreshold = threshold;
        }
    }

    /// <summary>Kuma's int-or-string numbers; validation has already refused anything else.</summary>
    private static decimal Decimal(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? decimal.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
        : node.GetValue<decimal>();

    private static Google.Protobuf.WellKnownTypes.Duration Duration(string text) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Durations.TryParse(text, out var value) ? value : TimeSpan.Zero);
}
