using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshHealthCheck;

public static class MeshHealthCheckPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: false, HasRules: false);

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane],
        To: [Mesh, MeshService, MeshExternalService, MeshMultiZoneService],
        From: []);

    public static readonly ResourceDescriptor<PolicySpec<MeshHealthCheckConf>> Descriptor = new()
    {
        Name = "MeshHealthCheck",
        Plural = "meshhealthchecks",
        ShortName = "mhc",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private const string GreaterThanZero = "must be greater than zero when defined";

    /// <summary>
    /// Kuma's order: the top targetRef, then each <c>to</c> entry (targetRef, then its default). Kuma asks for
    /// nothing to be defined: a policy without <c>to</c> entries is valid and does nothing.
    /// </summary>
    private static void Validate(PolicySpec<MeshHealthCheckConf> spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), Kinds.Top, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: false));
        }
        if (spec.From is not null) errors.Add(path.Field("from"), "this policy does not support this section");
        if (spec.Rules is not null) errors.Add(path.Field("rules"), "this policy does not support this section");
        for (var i = 0; i < (spec.To?.Count ?? 0); i++)
        {
            var p = path.Field("to").Index(i);
            if (spec.To![i].TargetRef is { } targetRef) PolicyValidation.CheckTargetRef(targetRef, p.Field("targetRef"), Kinds.To, errors);
            else errors.Add(p.Field("targetRef").Field("kind"), "must be defined");
            ValidateConf(spec.To[i].Default ?? new MeshHealthCheckConf(), p.Field("default"), errors);
        }
    }

    private static void ValidateConf(MeshHealthCheckConf conf, FieldPath path, ValidationErrors errors)
    {
        PositiveDuration(conf.Interval, path.Field("interval"), errors);
        PositiveDuration(conf.Timeout, path.Field("timeout"), errors);
        if (conf.UnhealthyThreshold is <= 0) errors.Add(path.Field("unhealthyThreshold"), GreaterThanZero);
        if (conf.HealthyThreshold is <= 0) errors.Add(path.Field("healthyThreshold"), GreaterThanZero);
        PositiveDuration(conf.InitialJitter, path.Field("initialJitter"), errors);
        PositiveDuration(conf.IntervalJitter, path.Field("intervalJitter"), errors);
        if (conf.IntervalJitterPercent is < 0 or > 100) errors.Add(path.Field("intervalJitterPercent"), "must be in inclusive range [0, 100]");
        Percentages.CheckRange(conf.HealthyPanicThreshold, path.Field("healthyPanicThreshold"), errors);
        PositiveDuration(conf.NoTrafficInterval, path.Field("noTrafficInterval"), errors);
        if (conf.EventLogPath is { } logPath && !FilePaths.IsValid(logPath)) errors.Add(path.Field("eventLogPath"), "must be a valid path when defined");
        if (conf.Http is { } http)
        {
            var hp = path.Field("http");
            if (http.Path is "") errors.Add(hp.Field("path"), "must be defined");
            for (var i = 0; i < (http.ExpectedStatuses?.Count ?? 0); i++)
            {
                if (http.ExpectedStatuses![i] is < 100 or > 599) errors.Add(hp.Field("expectedStatuses").Index(i), "must be in inclusive range [100, 599]");
            }
        }
        // tcp and grpc have only optional fields; one of the three must be there to check anything.
        if (conf is { Http: null, Tcp: null, Grpc: null }) errors.Add(path, "must have at least one defined: http, tcp, grpc");
    }

    private static void PositiveDuration(string? duration, FieldPath path, ValidationErrors errors)
    {
        if (duration is null) return;
        if (!Durations.TryParse(duration, out var value)) errors.Add(path, Durations.InvalidMessage);
        else if (value <= TimeSpan.Zero) errors.Add(path, GreaterThanZero);
    }
}
