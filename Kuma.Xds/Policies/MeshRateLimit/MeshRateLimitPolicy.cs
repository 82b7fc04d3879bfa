using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshRateLimit;

/// <summary>
/// MeshRateLimit: local (per proxy) limits on incoming requests and connections. Sidecars take it inbound
/// (<c>from</c> or <c>rules</c>), gateways outbound (<c>to</c>), so which sections are allowed depends on the
/// top-level targetRef, as for MeshFaultInjection.
/// </summary>
public static class MeshRateLimitPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, MeshHTTPRoute, Dataplane];
    private static readonly string[] EntryKinds = [Mesh];

    /// <summary>Kuma refuses intervals this short or shorter: Envoy's token bucket refills no faster.</summary>
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(50);

    private const string NotBySource = "can't be specified when matches contain spiffeID because this field cannot be conditioned on source identity";

    public static readonly ResourceDescriptor<PolicySpec<MeshRateLimitConf>> Descriptor = new()
    {
        Name = "MeshRateLimit",
        Plural = "meshratelimits",
        ShortName = "mrl",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: sections together, top targetRef, then <c>rules</c>, <c>from</c> and <c>to</c>.</summary>
    private static void Validate(PolicySpec<MeshRateLimitConf> spec, FieldPath path, ValidationErrors errors)
    {
        var from = spec.From ?? [];
        var to = spec.To ?? [];
        var rules = spec.Rules ?? [];
        if (rules.Count > 0 && (to.Count > 0 || from.Count > 0)) errors.Add(path, "fields 'to' and 'from' must be empty when 'rules' is defined");
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: from.Count > 0 || rules.Count > 0));
        }
        var topRef = spec.TargetRef ?? new TargetRef { Kind = Mesh };
        var gateways = IncludesGateways(topRef);

        if (rules.Count > 0 && gateways)
        {
            errors.Add(path.Field("rules"), "must not be defined");
        }
        else
        {
            for (var i = 0; i < rules.Count; i++) CheckRule(rules[i], path.Field("rules").Index(i), errors);
        }

        if (from.Count > 0 && gateways)
        {
            errors.Add(path.Field("from"),
                "must not be defined when the scope includes a Gateway, select only proxyType Sidecar or select only gateways and use spec.to");
        }
        else
        {
            for (var i = 0; i < from.Count; i++)
            {
                var p = path.Field("from").Index(i);
                CheckEntryTargetRef(from[i].TargetRef, p.Field("targetRef"), errors);
                CheckConf(from[i].Default, p.Field("default"), errors);
            }
        }

        if (to.Count > 0 && !gateways)
        {
            errors.Add(path.Field("to"), "must not be defined");
        }
        else
        {
            for (var i = 0; i < to.Count; i++)
            {
                var p = path.Field("to").Index(i);
                CheckEntryTargetRef(to[i].TargetRef, p.Field("targetRef"), errors);
                CheckConf(to[i].Default, p.Field("default"), errors);
            }
        }
    }

    /// <summary>Whether the top-level targetRef can select gateways (a route counts: gateways serve it).</summary>
    private static bool IncludesGateways(TargetRef top) =>
        top.Kind is MeshGateway or TargetRefKinds.MeshHTTPRoute
        || (top.Kind is Mesh or MeshSubset && (top.ProxyTypes is not { Count: > 0 } || top.ProxyTypes.Contains("Gateway")));

    private static void CheckEntryTargetRef(TargetRef? targetRef, FieldPath path, ValidationErrors errors)
    {
        if (targetRef is null) errors.Add(path.Field("kind"), "must be defined");
        else PolicyValidation.CheckTargetRef(targetRef, path, EntryKinds, errors);
    }

    private static void CheckRule(PolicyRule<MeshRateLimitConf> rule, FieldPath path, ValidationErrors errors)
    {
        var matches = rule.Matches ?? [];
        for (var m = 0; m < matches.Count; m++) PolicyValidation.CheckMatch(matches[m], path.Field("matches").Index(m), errors);
        // A connection limit counts connections before any caller is known, so it cannot depend on who calls.
        if (matches.Any(m => m.SpiffeID is not null) && rule.Default?.Local?.Tcp is not null)
            errors.Add(path.Field("default").Field("local").Field("tcp"), NotBySource);
        CheckConf(rule.Default, path.Field("default"), errors);
    }

    private static void CheckConf(MeshRateLimitConf? conf, FieldPath path, ValidationErrors errors)
    {
        var local = path.Field("local");
        if (conf?.Local is not { } limits)
        {
            errors.Add(local, "must be defined");
            return;
        }
        if (limits is { Http: null, Tcp: null }) errors.Add(local, "must have at least one defined: tcp, http");
        if (limits.Http is { } http)
        {
            var p = local.Field("http");
            if (http is { Disabled: null, RequestRate: null, OnRateLimit: null })
            {
                errors.Add(p, "must have at least one defined: disabled, requestRate, onRateLimit");
            }
            else
            {
                if (http.RequestRate is { } rate) CheckRate(rate, p.Field("requestRate"), errors);
                if (http.OnRateLimit?.Status is 0) errors.Add(p.Field("onRateLimit").Field("status"), "must be greater than 0");
            }
        }
        if (limits.Tcp is { } tcp)
        {
            var p = local.Field("tcp");
            if (tcp is { Disabled: null, ConnectionRate: null }) errors.Add(p, "must have at least one defined: disabled, connectionRate");
            else if (tcp.ConnectionRate is { } rate) CheckRate(rate, p.Field("connectionRate"), errors);
        }
    }

    private static void CheckRate(Rate rate, FieldPath path, ValidationErrors errors)
    {
        if (rate.Num is null or 0) errors.Add(path.Field("num"), "must be greater than 0");
        // An absent interval is zero to Kuma, so it gets the same answer as a too short one.
        if (rate.Interval is not null && !Durations.TryParse(rate.Interval, out _)) errors.Add(path.Field("interval"), Durations.InvalidMessage);
        else if (IntervalOf(rate) <= MinimumInterval) errors.Add(path.Field("interval"), "must be greater than: 50ms");
    }

    /// <summary>The rate's interval; zero when absent (validation refused anything unreadable).</summary>
    public static TimeSpan IntervalOf(Rate rate) => Durations.TryParse(rate.Interval, out var value) ? value : TimeSpan.Zero;
}
