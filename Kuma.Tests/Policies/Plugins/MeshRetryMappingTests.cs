using System.Text.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Retry.Host.OmitHostMetadata.V3;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies.MeshRetry;
using Kuma.Validation;
using RetryBackOff = Envoy.Config.Route.V3.RetryPolicy.Types.RetryBackOff;
using RetryPolicy = Envoy.Config.Route.V3.RetryPolicy;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>The branches of Kuma's MeshRetry mapping: retryOn splitting, status codes, back-off defaults, headers, protocols.</summary>
public sealed class MeshRetryMappingTests
{
    [Fact]
    public void RetryOn_splits_into_conditions_status_codes_and_methods_keeping_each_order()
    {
        var parsed = HttpRetryOn.Parse(["HttpMethodPost", "5xx", "503", "Reset", "HttpMethodGet", "429", "RefusedStream"]);

        Assert.Equal("5xx,reset,refused-stream", parsed.Conditions);
        Assert.Equal([503u, 429u], parsed.StatusCodes);
        Assert.Equal(["POST", "GET"], parsed.Methods);
    }

    [Fact]
    public void Digits_that_are_no_known_status_code_are_not_status_codes()
    {
        // 306 has no reason phrase; Kuma treats it as an unknown name, which maps to an empty condition.
        var parsed = HttpRetryOn.Parse(["306", "GatewayError"]);

        Assert.Equal(",gateway-error", parsed.Conditions);
        Assert.Empty(parsed.StatusCodes);
        Assert.Empty(parsed.Methods);
    }

    [Fact]
    public void Status_codes_alone_keep_the_default_conditions_and_add_retriable_status_codes()
    {
        var policy = RetryPolicies.Http(new MeshRetryHttp { RetryOn = ["503", "504"] });

        var expected = new RetryPolicy
        {
            RetryOn = "gateway-error,connect-failure,refused-stream,retriable-status-codes",
            RetriableStatusCodes = { 503, 504 },
        };
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void Status_codes_with_conditions_replace_the_defaults()
    {
        var policy = RetryPolicies.Http(new MeshRetryHttp { NumRetries = 3, RetryOn = ["Reset", "500"] });

        var expected = new RetryPolicy { RetryOn = "reset,retriable-status-codes", NumRetries = 3, RetriableStatusCodes = { 500 } };
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void Methods_come_before_configured_request_headers_and_response_headers_default_to_exact()
    {
        var policy = RetryPolicies.Http(new MeshRetryHttp
        {
            RetryOn = ["HttpMethodPut"],
            RetriableRequestHeaders = [new() { Type = "Present", Name = "x-idempotent" }],
            RetriableResponseHeaders =
            [
                new() { Name = "x-retry", Value = "yes" },
                new() { Type = "Absent", Name = "x-final" },
                new() { Type = "RegularExpression", Name = "x-code", Value = "5.." },
            ],
        });

        var expected = new RetryPolicy
        {
            RetryOn = "gateway-error,connect-failure,refused-stream",
            RetriableRequestHeaders =
            {
                new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { Exact = "PUT" } },
                new HeaderMatcher { Name = "x-idempotent", PresentMatch = true },
            },
            RetriableHeaders =
            {
                new HeaderMatcher { Name = "x-retry", StringMatch = new StringMatcher { Exact = "yes" } },
                new HeaderMatcher { Name = "x-final", PresentMatch = false },
                new HeaderMatcher { Name = "x-code", StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = "5.." } } },
            },
        };
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void An_http_back_off_gets_no_default_base_but_a_grpc_one_gets_25ms()
    {
        var http = RetryPolicies.Http(new MeshRetryHttp { BackOff = new() { MaxInterval = "1s" } });
        var grpc = RetryPolicies.Grpc(new MeshRetryGrpc { BackOff = new() { MaxInterval = "1s" } });

        Assert.Equal(new RetryPolicy
        {
            RetryOn = "gateway-error,connect-failure,refused-stream",
            RetryBackOff = new RetryBackOff { MaxInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) },
        }, http);
        Assert.Equal(new RetryPolicy
        {
            RetryOn = "cancelled,connect-failure,gateway-error,refused-stream,reset,resource-exhausted,unavailable",
            RetryBackOff = new RetryBackOff
            {
                BaseInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(25)),
                MaxInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            },
        }, grpc);
    }

    [Fact]
    public void Grpc_conditions_use_kumas_envoy_names()
    {
        var policy = RetryPolicies.Grpc(new MeshRetryGrpc { RetryOn = ["Canceled", "DeadlineExceeded"], PerTryTimeout = "250ms" });

        Assert.Equal(new RetryPolicy
        {
            RetryOn = "canceled,deadline-exceeded",
            PerTryTimeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(250)),
        }, policy);
    }

    [Fact]
    public void Zero_retries_means_no_policy()
    {
        Assert.Null(RetryPolicies.Http(new MeshRetryHttp { NumRetries = 0, PerTryTimeout = "2s" }));
        Assert.Null(RetryPolicies.Grpc(new MeshRetryGrpc { NumRetries = 0, PerTryTimeout = "2s" }));
    }

    [Fact]
    public void Only_http_and_grpc_services_get_a_route_policy_each_from_its_own_section()
    {
        var conf = new MeshRetryConf
        {
            Tcp = new() { MaxConnectAttempt = 2 },
            Http = new() { NumRetries = 1 },
            Grpc = new() { NumRetries = 2 },
        };

        string[] protocols = ["http", "http2", "grpc", "tcp"];
        var byProtocol = protocols.Select(p => (p, RetryPolicies.For(conf, p)?.NumRetries)).ToList();

        Assert.Equal([("http", 1u), ("http2", null), ("grpc", 2u), ("tcp", null)], byProtocol);
    }

    [Fact]
    public void Host_selection_leaves_the_service_tag_out_and_sets_the_retry_priority()
    {
        var policy = RetryPolicies.Http(new MeshRetryHttp
        {
            HostSelection =
            [
                new() { Predicate = "OmitHostsWithTags", Tags = new() { ["kuma.io/service"] = "backend" } },
                new() { Predicate = "OmitHostsWithTags", Tags = new() { ["kuma.io/service"] = "backend", ["version"] = "v1" } },
                new() { Predicate = "OmitPreviousPriorities", UpdateFrequency = 4 },
            ],
            HostSelectionMaxAttempts = 7,
        });

        var lb = new Metadata();
        lb.FilterMetadata["envoy.lb"] = new Struct { Fields = { ["version"] = Value.ForString("v1") } };
        var expected = new RetryPolicy
        {
            RetryOn = "gateway-error,connect-failure,refused-stream",
            RetryHostPredicate =
            {
                new RetryPolicy.Types.RetryHostPredicate { Name = "envoy.retry_host_predicates.omit_host_metadata", TypedConfig = Any.Pack(new OmitHostMetadataConfig()) },
                new RetryPolicy.Types.RetryHostPredicate
                {
                    Name = "envoy.retry_host_predicates.omit_host_metadata",
                    TypedConfig = Any.Pack(new OmitHostMetadataConfig { MetadataMatch = lb }),
                },
            },
            RetryPriority = new RetryPolicy.Types.RetryPriority
            {
                Name = "envoy.retry_priorities.previous_priorities",
                TypedConfig = Any.Pack(new PreviousPrioritiesConfig { UpdateFrequency = 4 }),
            },
            HostSelectionRetryMaxAttempts = 7,
        };
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void A_conf_read_from_policy_json_maps_reset_header_formats()
    {
        var conf = JsonNode.Parse("""
            {"http":{"rateLimitedBackOff":{"maxInterval":"3s","resetHeaders":[
              {"name":"retry-after","format":"Seconds"},{"name":"x-reset","format":"UnixTimestamp"}]}}}
            """)!.Deserialize<MeshRetryConf>(SpecBinder.Options)!;

        var policy = RetryPolicies.For(conf, "http");

        Assert.Equal(new RetryPolicy
        {
            RetryOn = "gateway-error,connect-failure,refused-stream",
            RateLimitedRetryBackOff = new RetryPolicy.Types.RateLimitedRetryBackOff
            {
                ResetHeaders =
                {
                    new RetryPolicy.Types.ResetHeader { Name = "retry-after", Format = RetryPolicy.Types.ResetHeaderFormat.Seconds },
                    new RetryPolicy.Types.ResetHeader { Name = "x-reset", Format = RetryPolicy.Types.ResetHeaderFormat.UnixTimestamp },
                },
                MaxInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(3)),
            },
        }, policy);
    }
}
