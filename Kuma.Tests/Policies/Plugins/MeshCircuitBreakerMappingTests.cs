using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Validation;
using EnvoyOutlierDetection = Envoy.Config.Cluster.V3.OutlierDetection;
using Thresholds = Envoy.Config.Cluster.V3.CircuitBreakers.Types.Thresholds;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>The branches of Kuma's MeshCircuitBreaker mapping: thresholds, disabled detection, detectors left out, number forms.</summary>
public sealed class MeshCircuitBreakerMappingTests
{
    [Fact]
    public void A_cluster_without_policy_only_tracks_its_remaining_budget()
    {
        var cluster = new Cluster { Name = "other-service" };

        MeshCircuitBreakerPlugin.Configure(cluster, null);

        Assert.Equal(new Cluster
        {
            Name = "other-service",
            CircuitBreakers = new CircuitBreakers { Thresholds = { new Thresholds { TrackRemaining = true } } },
        }, cluster);
    }

    [Fact]
    public void The_default_priority_threshold_is_changed_in_place_and_others_are_kept()
    {
        var cluster = new Cluster
        {
            Name = "other-service",
            CircuitBreakers = new CircuitBreakers
            {
                Thresholds =
                {
                    new Thresholds { Priority = RoutingPriority.High, MaxConnections = 9 },
                    new Thresholds { Priority = RoutingPriority.Default, MaxConnections = 66, MaxRetries = 1 },
                },
            },
        };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""{"connectionLimits":{"maxRetries":4,"maxConnectionPools":2}}"""));

        Assert.Equal(new Cluster
        {
            Name = "other-service",
            CircuitBreakers = new CircuitBreakers
            {
                Thresholds =
                {
                    new Thresholds { Priority = RoutingPriority.High, MaxConnections = 9 },
                    new Thresholds { Priority = RoutingPriority.Default, MaxConnections = 66, MaxRetries = 4, MaxConnectionPools = 2, TrackRemaining = true },
                },
            },
        }, cluster);
    }

    [Fact]
    public void Disabled_outlier_detection_configures_none_even_with_detectors()
    {
        var cluster = new Cluster { Name = "db" };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""
            {"connectionLimits":{"maxConnections":5},
             "outlierDetection":{"disabled":true,"interval":"1s","detectors":{"totalFailures":{"consecutive":3}},"healthyPanicThreshold":10}}
            """));

        Assert.Equal(new Cluster
        {
            Name = "db",
            CircuitBreakers = new CircuitBreakers { Thresholds = { new Thresholds { MaxConnections = 5, TrackRemaining = true } } },
        }, cluster);
    }

    [Fact]
    public void Detectors_left_out_are_not_enforced_and_their_numbers_stay_unset()
    {
        var cluster = new Cluster { Name = "backend" };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""{"outlierDetection":{"detectors":{"gatewayFailures":{"consecutive":7}}}}"""));

        Assert.Equal(new EnvoyOutlierDetection
        {
            EnforcingConsecutive5Xx = 0,
            EnforcingConsecutiveLocalOriginFailure = 0,
            ConsecutiveGatewayFailure = 7,
            EnforcingConsecutiveGatewayFailure = 100,
            EnforcingSuccessRate = 0,
            EnforcingLocalOriginSuccessRate = 0,
            EnforcingFailurePercentage = 0,
            EnforcingFailurePercentageLocalOrigin = 0,
        }, cluster.OutlierDetection);
        Assert.Null(cluster.CommonLbConfig);
    }

    [Fact]
    public void Without_a_detectors_block_the_rate_detectors_are_left_alone()
    {
        var cluster = new Cluster { Name = "backend" };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""{"outlierDetection":{"baseEjectionTime":"30s","maxEjectionPercent":20}}"""));

        Assert.Equal(new EnvoyOutlierDetection
        {
            BaseEjectionTime = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)),
            MaxEjectionPercent = 20,
            EnforcingConsecutive5Xx = 0,
            EnforcingConsecutiveLocalOriginFailure = 0,
            EnforcingConsecutiveGatewayFailure = 0,
        }, cluster.OutlierDetection);
    }

    [Theory]
    [InlineData("\"1.9\"", 1900u)]
    [InlineData("2", 2000u)]
    [InlineData("1.2345", 1234u)]
    public void The_standard_deviation_factor_becomes_whole_thousandths(string factor, uint expected)
    {
        var cluster = new Cluster { Name = "backend" };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""{"outlierDetection":{"detectors":{"successRate":{"standardDeviationFactor":""" + factor + "}}}}"));

        Assert.Equal(expected, cluster.OutlierDetection.SuccessRateStdevFactor);
        Assert.Equal(100u, cluster.OutlierDetection.EnforcingSuccessRate);
        Assert.Equal(100u, cluster.OutlierDetection.EnforcingLocalOriginSuccessRate);
    }

    [Theory]
    [InlineData("\"30.2\"", 30.2)]
    [InlineData("75", 75.0)]
    public void The_healthy_panic_threshold_goes_to_the_common_lb_config(string threshold, double expected)
    {
        var cluster = new Cluster { Name = "backend" };

        MeshCircuitBreakerPlugin.Configure(cluster, Conf("""{"outlierDetection":{"detectors":{"totalFailures":{"consecutive":1}},"healthyPanicThreshold":""" + threshold + "}}"));

        Assert.Equal(new Cluster.Types.CommonLbConfig { HealthyPanicThreshold = new Percent { Value = expected } }, cluster.CommonLbConfig);
    }

    private static MeshCircuitBreakerConf Conf(string json) => JsonNode.Parse(json)!.Deserialize<MeshCircuitBreakerConf>(SpecBinder.Options)!;
}
