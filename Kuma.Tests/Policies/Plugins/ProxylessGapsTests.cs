using System.Text.Json.Nodes;
using Kuma.Policies;
using Kuma.Policies.MeshCircuitBreaker;
using Kuma.Policies.MeshFaultInjection;
using Kuma.Policies.MeshHttpRoute;
using Kuma.Policies.MeshRetry;
using Kuma.Policies.MeshTimeout;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// Each plugin's account of what a proxyless gRPC client does not get of a conf: the whole list for confs that use
/// several unsupported fields, nothing for confs that use only what gRPC's xDS client reads.
/// </summary>
public sealed class ProxylessGapsTests
{
    private static readonly OutboundTarget Grpc = new("backend", "grpc");

    private static List<string> Fields(IEnumerable<ProxylessGap> gaps)
    {
        var list = gaps.ToList();
        Assert.All(list, g => Assert.False(string.IsNullOrWhiteSpace(g.Reason)));
        return [.. list.Select(g => g.Field)];
    }

    private static JsonObject Conf(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void MeshTimeout_leaves_everything_but_the_request_timeout()
    {
        var plugin = new MeshTimeoutPlugin();
        var all = Conf("""
            {"connectionTimeout":"2s","idleTimeout":"1h","http":{"requestTimeout":"5s","streamIdleTimeout":"30m",
             "maxStreamDuration":"1m","maxConnectionDuration":"1h","requestHeadersTimeout":"1s"}}
            """);
        Assert.Equal(
            ["default.connectionTimeout", "default.idleTimeout", "default.http.streamIdleTimeout", "default.http.maxStreamDuration",
             "default.http.maxConnectionDuration", "default.http.requestHeadersTimeout"],
            Fields(plugin.ProxylessGaps(Grpc, all)));
        Assert.Empty(plugin.ProxylessGaps(Grpc, Conf("""{"http":{"requestTimeout":"5s"}}""")));
        // Nothing applies a proxyless destination's inbound timeouts.
        Assert.Equal(["default"], Fields(plugin.ProxylessDestinationGaps(Grpc, Conf("""{"http":{"requestTimeout":"5s"}}"""))));
    }

    [Fact]
    public void MeshRetry_for_a_grpc_service_leaves_the_other_sections_and_what_grpc_retries_cannot_do()
    {
        var plugin = new MeshRetryPlugin();
        var all = Conf("""
            {"tcp":{"maxConnectAttempt":3},"http":{"numRetries":2},
             "grpc":{"numRetries":6,"perTryTimeout":"1s","backOff":{"baseInterval":"25ms","maxInterval":"250ms"},
                     "rateLimitedBackOff":{"resetHeaders":[{"name":"retry-after","format":"Seconds"}]},"retryOn":["Canceled","Unavailable"]}}
            """);
        Assert.Equal(
            ["default.tcp", "default.http", "default.grpc.retryOn", "default.grpc.numRetries", "default.grpc.perTryTimeout", "default.grpc.rateLimitedBackOff"],
            Fields(plugin.ProxylessGaps(Grpc, all)));
        Assert.Empty(plugin.ProxylessGaps(Grpc, Conf("""
            {"grpc":{"numRetries":4,"backOff":{"baseInterval":"25ms","maxInterval":"250ms"},"retryOn":["DeadlineExceeded","Internal","ResourceExhausted","Unavailable"]}}
            """)));
        // Kuma's "canceled" is no condition gRPC knows: with nothing else, nothing is retried.
        Assert.Equal(["default.grpc"], Fields(plugin.ProxylessGaps(Grpc, Conf("""{"grpc":{"numRetries":2,"retryOn":["Canceled"]}}"""))));
        // Zero retries asks for nothing.
        Assert.Empty(plugin.ProxylessGaps(Grpc, Conf("""{"grpc":{"numRetries":0,"perTryTimeout":"1s"}}""")));
    }

    [Fact]
    public void MeshRetry_for_http_and_tcp_services_names_the_section_that_would_apply()
    {
        var plugin = new MeshRetryPlugin();
        var conf = Conf("""{"tcp":{"maxConnectAttempt":3},"http":{"numRetries":2,"retryOn":["5xx"]},"grpc":{"numRetries":2}}""");
        Assert.Equal(["default.tcp", "default.grpc", "default.http"], Fields(plugin.ProxylessGaps(new OutboundTarget("web", "http"), conf)));
        Assert.Equal(["default.http", "default.grpc", "default.tcp.maxConnectAttempt"], Fields(plugin.ProxylessGaps(new OutboundTarget("db", "tcp"), conf)));
        Assert.Equal(["default.tcp", "default.http", "default.grpc"], Fields(plugin.ProxylessGaps(new OutboundTarget("h2", "http2"), conf)));
    }

    [Fact]
    public void MeshCircuitBreaker_keeps_max_requests_and_the_rate_based_outlier_detectors_only()
    {
        var plugin = new MeshCircuitBreakerPlugin();
        var all = Conf("""
            {"connectionLimits":{"maxConnections":10,"maxConnectionPools":2,"maxPendingRequests":3,"maxRequests":4,"maxRetries":5},
             "outlierDetection":{"interval":"5s","splitExternalAndLocalErrors":true,"healthyPanicThreshold":50,
               "detectors":{"totalFailures":{"consecutive":5},"gatewayFailures":{"consecutive":3},"localOriginFailures":{"consecutive":2},
                            "successRate":{"minimumHosts":3}}}}
            """);
        Assert.Equal(
            ["default.connectionLimits.maxConnections", "default.connectionLimits.maxConnectionPools", "default.connectionLimits.maxPendingRequests",
             "default.connectionLimits.maxRetries", "default.outlierDetection.splitExternalAndLocalErrors", "default.outlierDetection.healthyPanicThreshold",
             "default.outlierDetection.detectors.totalFailures", "default.outlierDetection.detectors.gatewayFailures",
             "default.outlierDetection.detectors.localOriginFailures"],
            Fields(plugin.ProxylessGaps(Grpc, all)));
        Assert.Empty(plugin.ProxylessGaps(Grpc, Conf("""
            {"connectionLimits":{"maxRequests":4},
             "outlierDetection":{"interval":"5s","baseEjectionTime":"30s","maxEjectionPercent":20,
               "detectors":{"successRate":{"minimumHosts":3,"requestVolume":10,"standardDeviationFactor":"1.9"},
                            "failurePercentage":{"threshold":80,"minimumHosts":3,"requestVolume":10}}}}
            """)));
        // Outlier detection switched off sets none of its fields.
        Assert.Empty(plugin.ProxylessGaps(Grpc, Conf("""{"outlierDetection":{"disabled":true,"detectors":{"totalFailures":{"consecutive":5}}}}""")));
    }

    [Fact]
    public void MeshHTTPRoute_leaves_every_filter_and_the_matches_a_grpc_call_cannot_meet()
    {
        var plugin = new MeshHttpRoutePlugin();
        var all = Conf("""
            {"rules":[
              {"matches":[{"path":{"type":"PathPrefix","value":"/a"},"queryParams":[{"type":"Exact","name":"q","value":"1"}]}],
               "default":{"filters":[
                 {"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-a","value":"1"}]}},
                 {"type":"ResponseHeaderModifier","responseHeaderModifier":{"remove":["x-b"]}},
                 {"type":"URLRewrite","urlRewrite":{"hostname":"other"}},
                 {"type":"RequestMirror","requestMirror":{"backendRef":{"kind":"MeshService","name":"shadow"}}}]}},
              {"matches":[{"method":"GET"},{"headers":[{"name":"trace-bin","value":"x"}]}],
               "default":{"filters":[{"type":"RequestRedirect","requestRedirect":{"statusCode":301}},
                                     {"type":"RequestHeaderModifier","requestHeaderModifier":{"add":[{"name":"x-c","value":"1"}]}}]}}]}
            """);
        Assert.Equal(
            ["rules[].matches[].queryParams", "rules[].default.filters[].requestHeaderModifier", "rules[].default.filters[].responseHeaderModifier",
             "rules[].default.filters[].urlRewrite", "rules[].default.filters[].requestMirror", "rules[].matches[].method",
             "rules[].matches[].headers[]", "rules[].default.filters[].requestRedirect"],
            Fields(plugin.ProxylessGaps(Grpc, all)));
        var supported = Conf("""
            {"rules":[{"matches":[{"path":{"type":"Exact","value":"/pkg.Svc/Get"},"headers":[{"type":"Exact","name":"x-user","value":"a"}]}],
              "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v1"},"weight":80},
                                        {"kind":"MeshServiceSubset","name":"backend","tags":{"version":"v2"},"weight":20}]}}]}
            """);
        Assert.Empty(plugin.ProxylessGaps(Grpc, supported));
        // A tcp service gets no routes at all.
        Assert.Equal(["rules"], Fields(plugin.ProxylessGaps(new OutboundTarget("db", "tcp"), supported)));
    }

    [Fact]
    public void MeshFaultInjection_at_a_proxyless_destination_loses_only_the_bandwidth_limit()
    {
        var plugin = new MeshFaultInjectionPlugin();
        Assert.Equal(["default.http[].responseBandwidth"], Fields(plugin.ProxylessDestinationGaps(Grpc, Conf("""
            {"http":[{"abort":{"httpStatus":503,"percentage":50}},
                     {"delay":{"value":"1s","percentage":10},"responseBandwidth":{"limit":"100kbps","percentage":20}},
                     {"responseBandwidth":{"limit":"1Mbps","percentage":5}}]}
            """))));
        Assert.Empty(plugin.ProxylessDestinationGaps(Grpc, Conf("""
            {"http":[{"abort":{"httpStatus":503,"percentage":50},"delay":{"value":"1s","percentage":10}}]}
            """)));
        // to entries are a gateway's: a proxyless client gets none of them.
        Assert.Equal(["default"], Fields(plugin.ProxylessGaps(Grpc, Conf("""{"http":[{"abort":{"httpStatus":503,"percentage":50}}]}"""))));
    }
}
