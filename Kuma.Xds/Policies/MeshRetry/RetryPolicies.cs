using Envoy.Config.Route.V3;
using Envoy.Extensions.Retry.Host.OmitHostMetadata.V3;
using Envoy.Extensions.Retry.Host.PreviousHosts.V3;
using Envoy.Extensions.Retry.Priority.PreviousPriorities.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Validation;
using Kuma.Xds.Generation;

namespace Kuma.Policies.MeshRetry;

/// <summary>
/// Turns a merged MeshRetry conf into the retry policy Kuma puts on every route of an outbound. Only HTTP
/// and gRPC services get one (an http2 service gets none, as in Kuma); zero retries means no policy at all.
/// </summary>
public static class RetryPolicies
{
    /// <summary>What Envoy retries on when an <c>http</c> section names no conditions.</summary>
    public const string HttpDefaultRetryOn = "gateway-error,connect-failure,refused-stream";

    /// <summary>What Envoy retries on when a <c>grpc</c> section names no conditions.</summary>
    public const string GrpcDefaultRetryOn = "cancelled,connect-failure,gateway-error,refused-stream,reset,resource-exhausted,unavailable";

    public const string RetriableStatusCodes = "retriable-status-codes";

    /// <summary>Kuma's back-off base for gRPC when only the maximum is given.</summary>
    public static readonly TimeSpan GrpcDefaultBaseInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Kuma's http retryOn names and the Envoy words (or methods) they stand for.</summary>
    internal static readonly Dictionary<string, string> HttpConditions = new(StringComparer.Ordinal)
    {
        ["5xx"] = "5xx",
        ["GatewayError"] = "gateway-error",
        ["Reset"] = "reset",
        ["Retriable4xx"] = "retriable-4xx",
        ["ConnectFailure"] = "connect-failure",
        ["EnvoyRatelimited"] = "envoy-ratelimited",
        ["RefusedStream"] = "refused-stream",
        ["Http3PostConnectFailure"] = "http3-post-connect-failure",
        ["HttpMethodConnect"] = "CONNECT",
        ["HttpMethodDelete"] = "DELETE",
        ["HttpMethodGet"] = "GET",
        ["HttpMethodHead"] = "HEAD",
        ["HttpMethodOptions"] = "OPTIONS",
        ["HttpMethodPatch"] = "PATCH",
        ["HttpMethodPost"] = "POST",
        ["HttpMethodPut"] = "PUT",
        ["HttpMethodTrace"] = "TRACE",
    };

    private static readonly Dictionary<string, string> GrpcConditions = new(StringComparer.Ordinal)
    {
        ["Canceled"] = "canceled",
        ["DeadlineExceeded"] = "deadline-exceeded",
        ["Internal"] = "internal",
        ["ResourceExhausted"] = "resource-exhausted",
        ["Unavailable"] = "unavailable",
    };

    /// <summary>The route retry policy for a service of this protocol, or null when Kuma sets none.</summary>
    public static RetryPolicy? For(MeshRetryConf conf, string protocol) => protocol switch
    {
        "http" => conf.Http is { } http ? Http(http) : null,
        "grpc" => conf.Grpc is { } grpc ? Grpc(grpc) : null,
        _ => null,
    };

    public static RetryPolicy? Http(MeshRetryHttp conf)
    {
        if (conf.NumRetries is 0) return null;
        var policy = new RetryPolicy { RetryOn = HttpDefaultRetryOn, NumRetries = conf.NumRetries };
        if (conf.PerTryTimeout is { } perTry) policy.PerTryTimeout = Duration(perTry);
        if (conf.BackOff is { } backOff)
        {
            policy.RetryBackOff = new RetryPolicy.Types.RetryBackOff();
            if (backOff.BaseInterval is { } baseInterval) policy.RetryBackOff.BaseInterval = Duration(baseInterval);
            if (backOff.MaxInterval is { } maxInterval) policy.RetryBackOff.MaxInterval = Duration(maxInterval);
        }
        if (conf.RateLimitedBackOff is { } rateLimited) policy.RateLimitedRetryBackOff = RateLimited(rateLimited);

        var on = HttpRetryOn.Parse(conf.RetryOn);
        if (on.Conditions != "") policy.RetryOn = on.Conditions;
        if (on.StatusCodes.Count > 0)
        {
            policy.RetriableStatusCodes.AddRange(on.StatusCodes);
            var conditions = policy.RetryOn.Split(',');
            if (!conditions.Contains(RetriableStatusCodes)) policy.RetryOn = string.Join(',', [.. conditions, RetriableStatusCodes]);
        }
        foreach (var method in on.Methods)
            policy.RetriableRequestHeaders.Add(new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { Exact = method } });
        foreach (var header in conf.RetriableRequestHeaders ?? []) policy.RetriableRequestHeaders.Add(Header(header));
        foreach (var header in conf.RetriableResponseHeaders ?? []) policy.RetriableHeaders.Add(Header(header));
        foreach (var selection in conf.HostSelection ?? []) AddHostSelection(policy, selection);
        if (conf.HostSelectionMaxAttempts is { } maxAttempts) policy.HostSelectionRetryMaxAttempts = maxAttempts;
        return policy;
    }

    public static RetryPolicy? Grpc(MeshRetryGrpc conf)
    {
        if (conf.NumRetries is 0) return null;
        var policy = new RetryPolicy { RetryOn = GrpcDefaultRetryOn, NumRetries = conf.NumRetries };
        if (conf.PerTryTimeout is { } perTry) policy.PerTryTimeout = Duration(perTry);
        var conditions = string.Join(',', (conf.RetryOn ?? []).Select(c => GrpcConditions.GetValueOrDefault(c, "")));
        if (conditions != "") policy.RetryOn = conditions;
        if (conf.BackOff is { } backOff)
        {
            policy.RetryBackOff = new RetryPolicy.Types.RetryBackOff
            {
                // Unlike the http section, a gRPC back-off without a base gets Kuma's default one.
                BaseInterval = backOff.BaseInterval is { } baseInterval ? Duration(baseInterval) : Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(GrpcDefaultBaseInterval),
            };
            if (backOff.MaxInterval is { } maxInterval) policy.RetryBackOff.MaxInterval = Duration(maxInterval);
        }
        if (conf.RateLimitedBackOff is { } rateLimited) policy.RateLimitedRetryBackOff = RateLimited(rateLimited);
        return policy;
    }

    private static RetryPolicy.Types.RateLimitedRetryBackOff RateLimited(RateLimitedBackOff conf)
    {
        var backOff = new RetryPolicy.Types.RateLimitedRetryBackOff();
        foreach (var header in conf.ResetHeaders ?? [])
        {
            backOff.ResetHeaders.Add(new RetryPolicy.Types.ResetHeader
            {
                Name = header.Name ?? "",
                Format = header.Format == "UnixTimestamp" ? RetryPolicy.Types.ResetHeaderFormat.UnixTimestamp : RetryPolicy.Types.ResetHeaderFormat.Seconds,
            });
        }
        if (conf.MaxInterval is { } maxInterval) backOff.MaxInterval = Duration(maxInterval);
        return backOff;
    }

    /// <summary>Kuma's header match: exact unless a type says otherwise; an unknown type matches on the name alone.</summary>
    public static HeaderMatcher Header(HeaderMatch header)
    {
        var matcher = new HeaderMatcher { Name = header.Name ?? "" };
        var value = header.Value ?? "";
        switch (header.Type ?? "Exact")
        {
            case "RegularExpression":
                matcher.StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = value } };
                break;
            case "Prefix":
                matcher.StringMatch = new StringMatcher { Prefix = value };
                break;
            case "Exact":
                matcher.StringMatch = new StringMatcher { Exact = value };
                break;
            case "Present":
                matcher.PresentMatch = true;
                break;
            case "Absent":
                matcher.PresentMatch = false;
                break;
        }
        return matcher;
    }

    private static void AddHostSelection(RetryPolicy policy, HostSelection selection)
    {
        switch (selection.Predicate)
        {
            case "OmitPreviousHosts":
                policy.RetryHostPredicate.Add(new RetryPolicy.Types.RetryHostPredicate
                {
                    Name = "envoy.retry_host_predicates.previous_hosts",
                    TypedConfig = Any.Pack(new PreviousHostsPredicate()),
                });
                break;
            case "OmitHostsWithTags":
                var omit = new OmitHostMetadataConfig();
                // The service is already the cluster; Kuma leaves it out of the endpoint metadata it matches.
                var tags = (selection.Tags ?? []).Where(t => t.Key != ServiceEndpoint.ServiceTag).ToList();
                if (tags.Count > 0) omit.MetadataMatch = EnvoyBuild.Tags(tags, "envoy.lb");
                policy.RetryHostPredicate.Add(new RetryPolicy.Types.RetryHostPredicate
                {
                    Name = "envoy.retry_host_predicates.omit_host_metadata",
                    TypedConfig = Any.Pack(omit),
                });
                break;
            case "OmitPreviousPriorities":
                policy.RetryPriority = new RetryPolicy.Types.RetryPriority
                {
                    Name = "envoy.retry_priorities.previous_priorities",
                    TypedConfig = Any.Pack(new PreviousPrioritiesConfig { UpdateFrequency = (int)(selection.UpdateFrequency ?? 0) }),
                };
                break;
        }
    }

    private static Google.Protobuf.WellKnownTypes.Duration Duration(string text) =>
        Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Durations.TryParse(text, out var value) ? value : TimeSpan.Zero);
}
