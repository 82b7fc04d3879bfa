using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshCircuitBreaker;

public static class MeshCircuitBreakerPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, Dataplane],
        To: [Mesh, MeshService, MeshExternalService, MeshMultiZoneService],
        From: [Mesh]);

    public static readonly ResourceDescriptor<PolicySpec<MeshCircuitBreakerConf>> Descriptor = new()
    {
        Name = "MeshCircuitBreaker",
        Plural = "meshcircuitbreakers",
        ShortName = "mcb",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: top targetRef, the section rules, then <c>rules</c>, <c>from</c> and <c>to</c> entries.</summary>
    private static void Validate(PolicySpec<MeshCircuitBreakerConf> spec, FieldPath path, ValidationErrors errors)
    {
        var to = spec.To?.Count ?? 0;
        var from = spec.From?.Count ?? 0;
        var rules = spec.Rules?.Count ?? 0;
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), Kinds.Top, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: from + rules > 0));
        }
        if (rules + to + from == 0) errors.Add(path, "at least one of 'from', 'to' or 'rules' has to be defined");
        if (rules > 0 && to + from > 0) errors.Add(path, "fields 'to' and 'from' must be empty when 'rules' is defined");
        // Kuma reports a rule's default under "from[i]", not "rules[i]"; its paths are kept so clients see the same field.
        for (var i = 0; i < rules; i++) ValidateConf(spec.Rules![i].Default, path.Field("from").Index(i).Field("default"), errors);
        for (var i = 0; i < from; i++)
        {
            var p = path.Field("from").Index(i);
            CheckEntryTargetRef(spec.From![i].TargetRef, p.Field("targetRef"), Kinds.From, errors);
            ValidateConf(spec.From[i].Default, p.Field("default"), errors);
        }
        for (var i = 0; i < to; i++)
        {
            var p = path.Field("to").Index(i);
            CheckEntryTargetRef(spec.To![i].TargetRef, p.Field("targetRef"), Kinds.To, errors);
            ValidateConf(spec.To[i].Default, p.Field("default"), errors);
        }
    }

    private static void CheckEntryTargetRef(TargetRef? targetRef, FieldPath path, string[] kinds, ValidationErrors errors)
    {
        if (targetRef is null) errors.Add(path.Field("kind"), "must be defined");
        else PolicyValidation.CheckTargetRef(targetRef, path, kinds, errors);
    }

    private static void ValidateConf(MeshCircuitBreakerConf? conf, FieldPath path, ValidationErrors errors)
    {
        if (conf is null || (conf.ConnectionLimits is null && conf.OutlierDetection is null))
        {
            errors.Add(path, "at least one of: 'connectionLimits' or 'outlierDetection' should be configured");
            return;
        }
        if (conf.ConnectionLimits is { } limits)
        {
            var p = path.Field("connectionLimits");
            Positive(limits.MaxConnections, p.Field("maxConnections"), errors);
            Positive(limits.MaxConnectionPools, p.Field("maxConnectionPools"), errors);
            Positive(limits.MaxPendingRequests, p.Field("maxPendingRequests"), errors);
            Positive(limits.MaxRetries, p.Field("maxRetries"), errors);
            Positive(limits.MaxRequests, p.Field("maxRequests"), errors);
        }
        if (conf.OutlierDetection is { } outlier) ValidateOutlierDetection(outlier, path.Field("outlierDetection"), errors);
    }

    private static void ValidateOutlierDetection(OutlierDetection outlier, FieldPath p, ValidationErrors errors)
    {
        GreaterThanZero(outlier.Interval, p.Field("interval"), errors);
        GreaterThanZero(outlier.BaseEjectionTime, p.Field("baseEjectionTime"), errors);
        if (outlier.MaxEjectionPercent is > 100) errors.Add(p.Field("maxEjectionPercent"), "must be in inclusive range [0, 100]");
        if (Decimal(outlier.HealthyPanicThreshold, p.Field("healthyPanicThreshold"), errors, "string must be a valid number") is < 0 or > 100)
            errors.Add(p.Field("healthyPanicThreshold"), "must be in inclusive range [0.0, 100.0]");
        var dp = p.Field("detectors");
        if (outlier.Detectors is not { } d)
        {
            errors.Add(dp, "must be defined");
            return;
        }
        if (d is { TotalFailures: null, GatewayFailures: null, LocalOriginFailures: null, SuccessRate: null, FailurePercentage: null })
        {
            errors.Add(dp, "must have at least one defined: totalFailures, gatewayFailures, localOriginFailures, successRate, failurePercentage");
            return;
        }
        Positive(d.TotalFailures?.Consecutive, dp.Field("totalFailures").Field("consecutive"), errors);
        Positive(d.GatewayFailures?.Consecutive, dp.Field("gatewayFailures").Field("consecutive"), errors);
        Positive(d.LocalOriginFailures?.Consecutive, dp.Field("localOriginFailures").Field("consecutive"), errors);
        if (d.SuccessRate is { } sr)
        {
            var sp = dp.Field("successRate");
            Positive(sr.MinimumHosts, sp.Field("minimumHosts"), errors);
            Positive(sr.RequestVolume, sp.Field("requestVolume"), errors);
            if (Decimal(sr.StandardDeviationFactor, sp.Field("standardDeviationFactor"), errors, "invalid number") is <= 0)
                errors.Add(sp.Field("standardDeviationFactor"), "must be greater than 0");
        }
        if (d.FailurePercentage is { } fp)
        {
            var fpp = dp.Field("failurePercentage");
            Positive(fp.MinimumHosts, fpp.Field("minimumHosts"), errors);
            Positive(fp.RequestVolume, fpp.Field("requestVolume"), errors);
            if (fp.Threshold is > 100) errors.Add(fpp.Field("threshold"), "must be in inclusive range [0, 100]");
        }
    }

    private static void Positive(uint? value, FieldPath path, ValidationErrors errors)
    {
        if (value is 0) errors.Add(path, "must be greater than 0");
    }

    /// <summary>Reads Kuma's int-or-string numbers; null when absent or invalid (the latter reported).</summary>
    private static void GreaterThanZero(string? duration, FieldPath path, ValidationErrors errors)
    {
        if (duration is null) return;
        if (!Durations.TryParse(duration, out var value)) errors.Add(path, Durations.InvalidMessage);
        else if (value <= TimeSpan.Zero) errors.Add(path, "must be greater than zero when defined");
    }

    private static decimal? Decimal(JsonNode? node, FieldPath path, ValidationErrors errors, string invalid)
    {
        if (node is null) return null;
        switch (node.GetValueKind())
        {
            case JsonValueKind.Number:
                return node.GetValue<decimal>();
            case JsonValueKind.String when decimal.TryParse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            default:
                errors.Add(path, invalid);
                return null;
        }
    }
}
