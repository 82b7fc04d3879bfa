using System.Text.RegularExpressions;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshRetry;

public static partial class MeshRetryPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: false, HasRules: false);

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, MeshHTTPRoute, Dataplane],
        To: [Mesh, MeshService, MeshExternalService, MeshMultiZoneService, MeshHTTPRoute],
        From: [])
    {
        ToUnderGatewayOrRoute = [Mesh, MeshExternalService],
    };

    public static readonly string[] HttpRetryOn =
    [
        "5xx", "GatewayError", "Reset", "Retriable4xx", "ConnectFailure", "EnvoyRatelimited", "RefusedStream",
        "Http3PostConnectFailure", "HttpMethodConnect", "HttpMethodDelete", "HttpMethodGet", "HttpMethodHead",
        "HttpMethodOptions", "HttpMethodPatch", "HttpMethodPost", "HttpMethodPut", "HttpMethodTrace",
    ];

    public static readonly string[] GrpcRetryOn = ["Canceled", "DeadlineExceeded", "Internal", "ResourceExhausted", "Unavailable"];

    public static readonly ResourceDescriptor<PolicySpec<MeshRetryConf>> Descriptor = new()
    {
        Name = "MeshRetry",
        Plural = "meshretries",
        ShortName = "mr",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
        BodyPathOf = field => ConfStep().Replace(field, ".default", 1),
    };

    [GeneratedRegex(@"\.default\.conf(?=\.|\[|$)")]
    private static partial Regex ConfStep();

    /// <summary>Kuma's order: the top targetRef, then each <c>to</c> entry; an empty <c>to</c> is allowed (it clears inherited rules).</summary>
    private static void Validate(PolicySpec<MeshRetryConf> spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), Kinds.Top, errors, new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: false));
        var topKind = spec.TargetRef?.Kind ?? Mesh;
        var toKinds = topKind is MeshGateway or MeshHTTPRoute ? Kinds.ToUnderGatewayOrRoute! : Kinds.To;
        for (var i = 0; i < (spec.To?.Count ?? 0); i++)
        {
            var item = spec.To![i];
            var p = path.Field("to").Index(i);
            if (item.TargetRef is null) errors.Add(p.Field("targetRef").Field("kind"), "must be defined");
            else PolicyValidation.CheckTargetRef(item.TargetRef, p.Field("targetRef"), toKinds, errors);
            // Kuma nests the checks of a default block under "conf".
            ValidateConf(item.Default ?? new MeshRetryConf(), p.Field("default").Field("conf"), errors);
        }
        if (spec.From is not null) errors.Add(path.Field("from"), "this policy does not support this section");
        if (spec.Rules is not null) errors.Add(path.Field("rules"), "this policy does not support this section");
    }

    private static void ValidateConf(MeshRetryConf conf, FieldPath path, ValidationErrors errors)
    {
        if (conf.Tcp is null && conf.Http is null && conf.Grpc is null)
            errors.Add(path, "at least one of the 'tcp', 'http', 'grpc' must be specified");
        if (conf.Tcp is { MaxConnectAttempt: null }) errors.Add(path.Field("tcp"), "must not be empty");
        else if (conf.Tcp is { MaxConnectAttempt: 0 }) errors.Add(path.Field("tcp").Field("maxConnectAttempt"), "must be greater than 0");

        if (conf.Http is { } http)
        {
            var p = path.Field("http");
            if (http is
                {
                    NumRetries: null, PerTryTimeout: null, BackOff: null, RetryOn: null, RetriableResponseHeaders: null,
                    RetriableRequestHeaders: null, RateLimitedBackOff: null, HostSelection: null
                })
                errors.Add(p, "must not be empty");
            CheckBackOff(http.BackOff, p.Field("backOff"), errors);
            CheckRateLimitedBackOff(http.RateLimitedBackOff, p.Field("rateLimitedBackOff"), errors);
            for (var i = 0; i < (http.RetryOn?.Count ?? 0); i++)
            {
                var value = http.RetryOn![i];
                if (!HttpRetryOn.Contains(value) && !HttpStatusCodes.IsKnown(value))
                    errors.Add(p.Field("retryOn").Index(i), $"unknown item '{value}'");
            }
            CheckHostSelection(http.HostSelection, p.Field("hostSelection"), errors);
            // Beyond Kuma: values Envoy would refuse.
            Durations.CheckOptional(http.PerTryTimeout, p.Field("perTryTimeout"), errors);
            CheckHeaders(http.RetriableResponseHeaders, p.Field("retriableResponseHeaders"), errors);
            CheckHeaders(http.RetriableRequestHeaders, p.Field("retriableRequestHeaders"), errors);
            if (http.HostSelectionMaxAttempts is < 0) errors.Add(p.Field("hostSelectionMaxAttempts"), "must not be negative when defined");
        }

        if (conf.Grpc is { } grpc)
        {
            var p = path.Field("grpc");
            if (grpc is { NumRetries: null, PerTryTimeout: null, BackOff: null, RetryOn: null, RateLimitedBackOff: null })
                errors.Add(p, "must not be empty");
            CheckBackOff(grpc.BackOff, p.Field("backOff"), errors);
            CheckRateLimitedBackOff(grpc.RateLimitedBackOff, p.Field("rateLimitedBackOff"), errors);
            for (var i = 0; i < (grpc.RetryOn?.Count ?? 0); i++)
            {
                if (!GrpcRetryOn.Contains(grpc.RetryOn![i])) errors.Add(p.Field("retryOn").Index(i), $"unknown item '{grpc.RetryOn[i]}'");
            }
            Durations.CheckOptional(grpc.PerTryTimeout, p.Field("perTryTimeout"), errors);
        }
    }

    private static void CheckHostSelection(List<HostSelection>? selections, FieldPath path, ValidationErrors errors)
    {
        var seenPriorities = false;
        for (var i = 0; i < (selections?.Count ?? 0); i++)
        {
            var selection = selections![i];
            var p = path.Index(i);
            switch (selection.Predicate)
            {
                case "OmitHostsWithTags":
                    if (selection.Tags is null) errors.Add(p.Field("tags"), "must be defined");
                    break;
                case "OmitPreviousPriorities":
                    if (seenPriorities) errors.Add(p.Field("predicate"), "OmitPreviousPriorities must only be specified once");
                    if (selection.UpdateFrequency is null or <= 0) errors.Add(p.Field("updateFrequency"), "must be defined and greater than zero");
                    seenPriorities = true;
                    break;
                case "OmitPreviousHosts":
                    break;
                default:
                    errors.Add(p.Field("predicate"), $"unknown predicate type '{selection.Predicate}'");
                    break;
            }
        }
    }

    private static void CheckBackOff(BackOff? backOff, FieldPath path, ValidationErrors errors)
    {
        if (backOff is null) return;
        if (backOff is { BaseInterval: null, MaxInterval: null }) errors.Add(path, "must not be empty");
        Durations.CheckOptional(backOff.BaseInterval, path.Field("baseInterval"), errors);
        Durations.CheckOptional(backOff.MaxInterval, path.Field("maxInterval"), errors);
    }

    private static void CheckRateLimitedBackOff(RateLimitedBackOff? backOff, FieldPath path, ValidationErrors errors)
    {
        if (backOff is null) return;
        if (backOff.MaxInterval is not null && (!Durations.TryParse(backOff.MaxInterval, out var max) || max <= TimeSpan.Zero))
            errors.Add(path.Field("maxInterval"), "must be defined and greater than zero");
        if (backOff.ResetHeaders is null)
        {
            errors.Add(path.Field("resetHeaders"), "must be defined");
            return;
        }
        for (var i = 0; i < backOff.ResetHeaders.Count; i++)
        {
            var header = backOff.ResetHeaders[i];
            if (string.IsNullOrEmpty(header.Name)) errors.Add(path.Field("resetHeaders").Index(i).Field("name"), "must be defined");
            // Beyond Kuma: Envoy knows only these two formats.
            if (header.Format is not ("Seconds" or "UnixTimestamp"))
                errors.Add(path.Field("resetHeaders").Index(i).Field("format"), "should be one of [Seconds, UnixTimestamp]");
        }
    }

    /// <summary>Kuma leaves the match type unchecked; a header without a name would not reach Envoy.</summary>
    private static void CheckHeaders(List<HeaderMatch>? headers, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (headers?.Count ?? 0); i++)
        {
            if (string.IsNullOrEmpty(headers![i].Name)) errors.Add(path.Index(i).Field("name"), "must be defined");
        }
    }
}
