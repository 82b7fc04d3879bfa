using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTimeout;

public static class MeshTimeoutPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly TargetRefRules Kinds = new(
        Top: [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, MeshHTTPRoute, Dataplane],
        To: [Mesh, MeshService, MeshExternalService, MeshMultiZoneService, MeshHTTPRoute],
        From: [Mesh])
    {
        ToUnderGatewayOrRoute = [Mesh, MeshExternalService],
    };

    public static readonly ResourceDescriptor<PolicySpec<MeshTimeoutConf>> Descriptor = new()
    {
        Name = "MeshTimeout",
        Plural = "meshtimeouts",
        ShortName = "mt",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private const string NotUnderRoute = "can't be specified when top-level TargetRef is referencing MeshHTTPRoute";
    private const string NotBySource = "can't be specified when matches contain spiffeID because this field cannot be conditioned on source identity";

    /// <summary>Kuma's order: top targetRef, the section rules, then <c>from</c>, <c>to</c> and <c>rules</c> entries.</summary>
    private static void Validate(PolicySpec<MeshTimeoutConf> spec, FieldPath path, ValidationErrors errors)
    {
        var to = spec.To?.Count ?? 0;
        var from = spec.From?.Count ?? 0;
        var rules = spec.Rules?.Count ?? 0;
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), Kinds.Top, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: from + rules > 0));
        }
        if (rules > 0 && to + from > 0) errors.Add(path, "fields 'to' and 'from' must be empty when 'rules' is defined");
        if (rules + to + from == 0) errors.Add(path, "at least one of 'from', 'to' or 'rules' has to be defined");
        var topKind = spec.TargetRef?.Kind ?? Mesh;
        var gatewayOrRoute = topKind is MeshGateway or MeshHTTPRoute;

        if (gatewayOrRoute && from > 0) errors.Add(path.Field("from"), "must not be defined");
        else
        {
            for (var i = 0; i < from; i++)
            {
                var p = path.Field("from").Index(i);
                CheckEntryTargetRef(spec.From![i].TargetRef, p.Field("targetRef"), Kinds.From, errors);
                ValidateConf(spec.From[i].Default, p.Field("default"), topKind, errors);
            }
        }
        for (var i = 0; i < to; i++)
        {
            var p = path.Field("to").Index(i);
            CheckEntryTargetRef(spec.To![i].TargetRef, p.Field("targetRef"), gatewayOrRoute ? Kinds.ToUnderGatewayOrRoute! : Kinds.To, errors);
            ValidateConf(spec.To[i].Default, p.Field("default"), topKind, errors);
        }
        for (var i = 0; i < rules; i++)
        {
            var p = path.Field("rules").Index(i);
            var rule = spec.Rules![i];
            var bySpiffeId = false;
            for (var m = 0; m < (rule.Matches?.Count ?? 0); m++)
            {
                PolicyValidation.CheckMatch(rule.Matches![m], p.Field("matches").Index(m), errors);
                bySpiffeId |= rule.Matches[m].SpiffeID is not null;
            }
            if (bySpiffeId && rule.Default is { } conf)
            {
                var d = p.Field("default");
                MustBeUnset(conf.ConnectionTimeout, d.Field("connectionTimeout"), NotBySource, errors);
                MustBeUnset(conf.IdleTimeout, d.Field("idleTimeout"), NotBySource, errors);
                MustBeUnset(conf.Http?.RequestHeadersTimeout, d.Field("http").Field("requestHeadersTimeout"), NotBySource, errors);
                MustBeUnset(conf.Http?.MaxStreamDuration, d.Field("http").Field("maxStreamDuration"), NotBySource, errors);
                MustBeUnset(conf.Http?.MaxConnectionDuration, d.Field("http").Field("maxConnectionDuration"), NotBySource, errors);
            }
            ValidateConf(rule.Default, p.Field("default"), topKind, errors);
        }
    }

    private static void CheckEntryTargetRef(TargetRef? targetRef, FieldPath path, string[] kinds, ValidationErrors errors)
    {
        if (targetRef is null) errors.Add(path.Field("kind"), "must be defined");
        else PolicyValidation.CheckTargetRef(targetRef, path, kinds, errors);
    }

    private static void MustBeUnset(string? value, FieldPath path, string reason, ValidationErrors errors)
    {
        if (value is not null) errors.Add(path, reason);
    }

    private static void ValidateConf(MeshTimeoutConf? conf, FieldPath path, string topKind, ValidationErrors errors)
    {
        if (conf is null || (conf.ConnectionTimeout is null && conf.IdleTimeout is null && conf.Http is null))
        {
            errors.Add(path, "at least one timeout should be configured");
            return;
        }
        if (topKind == MeshHTTPRoute)
        {
            MustBeUnset(conf.ConnectionTimeout, path.Field("connectionTimeout"), NotUnderRoute, errors);
            MustBeUnset(conf.IdleTimeout, path.Field("idleTimeout"), NotUnderRoute, errors);
            MustBeUnset(conf.Http?.MaxStreamDuration, path.Field("http").Field("maxStreamDuration"), NotUnderRoute, errors);
            MustBeUnset(conf.Http?.MaxConnectionDuration, path.Field("http").Field("maxConnectionDuration"), NotUnderRoute, errors);
        }
        Positive(conf.ConnectionTimeout, path.Field("connectionTimeout"), errors);
        NotNegative(conf.IdleTimeout, path.Field("idleTimeout"), errors);
        if (conf.Http is { } http)
        {
            var httpPath = path.Field("http");
            // Kuma does not count requestHeadersTimeout alone as configuring this section.
            if (http is { RequestTimeout: null, StreamIdleTimeout: null, MaxStreamDuration: null, MaxConnectionDuration: null })
                errors.Add(httpPath, "at least one timeout in this section should be configured");
            NotNegative(http.RequestTimeout, httpPath.Field("requestTimeout"), errors);
            NotNegative(http.StreamIdleTimeout, httpPath.Field("streamIdleTimeout"), errors);
            NotNegative(http.MaxStreamDuration, httpPath.Field("maxStreamDuration"), errors);
            NotNegative(http.MaxConnectionDuration, httpPath.Field("maxConnectionDuration"), errors);
            NotNegative(http.RequestHeadersTimeout, httpPath.Field("requestHeadersTimeout"), errors);
        }
    }

    private static void Positive(string? value, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return;
        if (!Durations.TryParse(value, out var d)) errors.Add(path, Durations.InvalidMessage);
        else if (d <= TimeSpan.Zero) errors.Add(path, "must be greater than zero when defined");
    }

    private static void NotNegative(string? value, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return;
        if (!Durations.TryParse(value, out var d)) errors.Add(path, Durations.InvalidMessage);
        else if (d < TimeSpan.Zero) errors.Add(path, "must not be negative when defined");
    }
}
