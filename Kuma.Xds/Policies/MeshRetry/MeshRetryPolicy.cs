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

    private static readonly string[] HeaderMatchTypes = ["Exact", "Prefix", "RegularExpression", "Absent", "Present"];
    private static readonly string[] HostPredicates = ["OmitPreviousHosts", "OmitHostsWithTags", "OmitPreviousPriorities"];

    [GeneratedRegex("^[1-5][0-9][0-9]\\z")]
    private static partial Regex StatusCode();

    public static readonly ResourceDescriptor<PolicySpec<MeshRetryConf>> Descriptor = new()
    {
        Name = "MeshRetry",
        Plural = "meshretries",
        ShortName = "mr",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = (spec, path, errors) => PolicyValidation.Validate(spec, path, errors, Shape, Kinds, ValidateConf),
    };

    private static void ValidateConf(MeshRetryConf conf, FieldPath path, ValidationErrors errors)
    {
        if (conf.Tcp is null && conf.Http is null && conf.Grpc is null)
        {
            errors.Add(path, "at least one of the 'tcp', 'http', 'grpc' must be specified");
            return;
        }
        if (conf.Tcp is { MaxConnectAttempt: null }) errors.Add(path.Field("tcp"), "must not be empty");
        else if (conf.Tcp is { MaxConnectAttempt: 0 }) errors.Add(path.Field("tcp").Field("maxConnectAttempt"), "must be greater than 0");

        if (conf.Http is { } http)
        {
            var p = path.Field("http");
            if (http is { NumRetries: null, PerTryTimeout: null, BackOff: null, RetryOn: null, RetriableResponseHeaders: null,
                    RetriableRequestHeaders: null, RateLimitedBackOff: null, HostSelection: null })
                errors.Add(p, "must not be empty");
            Durations.CheckOptional(http.PerTryTimeout, p.Field("perTryTimeout"), errors, allowZero: false);
            CheckBackOff(http.BackOff, p.Field("backOff"), errors);
            CheckRateLimitedBackOff(http.RateLimitedBackOff, p.Field("rateLimitedBackOff"), errors);
            for (var i = 0; i < (http.RetryOn?.Count ?? 0); i++)
            {
                var value = http.RetryOn![i];
                // Kuma's docs say 5XX while its validator only takes 5xx; both mean the same to Envoy.
                if (!HttpRetryOn.Contains(value) && value != "5XX" && !StatusCode().IsMatch(value))
                    errors.Add(p.Field("retryOn").Index(i), $"unknown item '{value}'");
            }
            CheckHeaders(http.RetriableResponseHeaders, p.Field("retriableResponseHeaders"), errors);
            CheckHeaders(http.RetriableRequestHeaders, p.Field("retriableRequestHeaders"), errors);
            CheckHostSelection(http.HostSelection, p.Field("hostSelection"), errors);
            if (http.HostSelectionMaxAttempts is < 0) errors.Add(p.Field("hostSelectionMaxAttempts"), "must not be negative when defined");
        }

        if (conf.Grpc is { } grpc)
        {
            var p = path.Field("grpc");
            if (grpc is { NumRetries: null, PerTryTimeout: null, BackOff: null, RetryOn: null, RateLimitedBackOff: null })
                errors.Add(p, "must not be empty");
            Durations.CheckOptional(grpc.PerTryTimeout, p.Field("perTryTimeout"), errors, allowZero: false);
            CheckBackOff(grpc.BackOff, p.Field("backOff"), errors);
            CheckRateLimitedBackOff(grpc.RateLimitedBackOff, p.Field("rateLimitedBackOff"), errors);
            for (var i = 0; i < (grpc.RetryOn?.Count ?? 0); i++)
            {
                if (!GrpcRetryOn.Contains(grpc.RetryOn![i])) errors.Add(p.Field("retryOn").Index(i), $"unknown item '{grpc.RetryOn[i]}'");
            }
        }
    }

    private static void CheckHostSelection(List<HostSelection>? selections, FieldPath path, ValidationErrors errors)
    {
        var seenPriorities = false;
        for (var i = 0; i < (selections?.Count ?? 0); i++)
        {
            var selection = selections![i];
            var p = path.Index(i);
            if (!HostPredicates.Contains(selection.Predicate))
                errors.Add(p.Field("predicate"), $"unknown predicate type '{selection.Predicate}'");
            if (selection.Predicate == "OmitHostsWithTags" && selection.Tags is not { Count: > 0 })
                errors.Add(p.Field("tags"), "must be defined");
            if (selection.Predicate == "OmitPreviousPriorities")
            {
                if (seenPriorities) errors.Add(p.Field("predicate"), "OmitPreviousPriorities must only be specified once");
                seenPriorities = true;
                if (selection.UpdateFrequency is <= 0) errors.Add(p.Field("updateFrequency"), "must be defined and greater than zero");
            }
        }
    }

    private static void CheckBackOff(BackOff? backOff, FieldPath path, ValidationErrors errors)
    {
        if (backOff is null) return;
        if (backOff is { BaseInterval: null, MaxInterval: null }) errors.Add(path, "must not be empty");
        Durations.CheckOptional(backOff.BaseInterval, path.Field("baseInterval"), errors, allowZero: false);
        Durations.CheckOptional(backOff.MaxInterval, path.Field("maxInterval"), errors, allowZero: false);
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
            if (header.Format is not ("Seconds" or "UnixTimestamp"))
                errors.Add(path.Field("resetHeaders").Index(i).Field("format"), "should be one of [Seconds, UnixTimestamp]");
        }
    }

    private static void CheckHeaders(List<HeaderMatch>? headers, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (headers?.Count ?? 0); i++)
        {
            var header = headers![i];
            if (string.IsNullOrEmpty(header.Name)) errors.Add(path.Index(i).Field("name"), "must be defined");
            if (header.Type is not null && !HeaderMatchTypes.Contains(header.Type))
                errors.Add(path.Index(i).Field("type"), $"should be one of [{string.Join(", ", HeaderMatchTypes)}]");
        }
    }
}
