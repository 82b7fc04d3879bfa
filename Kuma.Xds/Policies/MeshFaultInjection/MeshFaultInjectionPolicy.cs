using System.Text.RegularExpressions;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshFaultInjection;

/// <summary>
/// MeshFaultInjection: aborts, delays or throttles HTTP requests. Sidecars take it inbound (<c>from</c> or
/// <c>rules</c>), gateways outbound (<c>to</c>), so which sections are allowed depends on the top-level targetRef.
/// </summary>
public static partial class MeshFaultInjectionPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane];
    private static readonly string[] FromKinds = [Mesh, MeshSubset, MeshServiceSubset, MeshService];
    private static readonly string[] ToKinds = [Mesh];

    [GeneratedRegex("^[0-9]*[\t\n\f\r ]?[GMk]+bps\\z")]
    private static partial Regex Bandwidth();

    public static readonly ResourceDescriptor<PolicySpec<MeshFaultInjectionConf>> Descriptor = new()
    {
        Name = "MeshFaultInjection",
        Plural = "meshfaultinjections",
        ShortName = "mfi",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(PolicySpec<MeshFaultInjectionConf> spec, FieldPath path, ValidationErrors errors)
    {
        var from = spec.From ?? [];
        var to = spec.To ?? [];
        var rules = spec.Rules ?? [];
        if (spec.TargetRef is { } top)
        {
            var topPath = path.Field("targetRef");
            // A section of a proxy is one of its inbounds, so only inbound faults may name one.
            PolicyValidation.CheckTargetRef(top, topPath, TopKinds, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: from.Count > 0 || rules.Count > 0));
        }
        var gateways = IncludesGateways(spec.TargetRef ?? new TargetRef { Kind = Mesh });

        if (from.Count > 0 && rules.Count > 0) errors.Add(path, "field 'from' must be empty when 'rules' is defined");

        for (var i = 0; i < rules.Count; i++)
        {
            var p = path.Field("rules").Index(i);
            for (var m = 0; m < (rules[i].Matches?.Count ?? 0); m++) PolicyValidation.CheckMatch(rules[i].Matches![m], p.Field("matches").Index(m), errors);
            CheckConf(rules[i].Default, p.Field("default"), errors);
        }

        if (gateways && from.Count > 0)
        {
            errors.Add(path.Field("from"), "must not be defined when the scope includes a Gateway, select only proxyType Sidecar or select only gateways and use spec.to");
        }
        else
        {
            for (var i = 0; i < from.Count; i++)
            {
                var p = path.Field("from").Index(i);
                PolicyValidation.CheckTargetRef(from[i].TargetRef ?? new TargetRef(), p.Field("targetRef"), FromKinds, errors);
                CheckConf(from[i].Default, p.Field("default"), errors);
            }
        }

        if (!gateways && to.Count > 0)
        {
            errors.Add(path.Field("to"), "must not be defined");
        }
        else
        {
            for (var i = 0; i < to.Count; i++)
            {
                var p = path.Field("to").Index(i);
                PolicyValidation.CheckTargetRef(to[i].TargetRef ?? new TargetRef(), p.Field("targetRef"), ToKinds, errors);
                CheckConf(to[i].Default, p.Field("default"), errors);
            }
        }
    }

    /// <summary>Whether the top-level targetRef can select gateways: only they take outbound faults.</summary>
    private static bool IncludesGateways(TargetRef top) =>
        top.Kind is MeshGateway or TargetRefKinds.MeshHTTPRoute
        || (top.Kind is Mesh or MeshSubset && (top.ProxyTypes is not { Count: > 0 } || top.ProxyTypes.Contains("Gateway")));

    private static void CheckConf(MeshFaultInjectionConf? conf, FieldPath path, ValidationErrors errors)
    {
        var faults = conf?.Http ?? [];
        var http = path.Field("http");
        for (var i = 0; i < faults.Count; i++)
        {
            // Kuma indexes each fault kind rather than the list: http.abort[0], http.delay[1].
            var fault = faults[i];
            if (fault.Abort is { } abort)
            {
                var p = http.Field("abort").Index(i);
                if (abort.HttpStatus is not (>= 100 and <= 599)) errors.Add(p.Field("httpStatus"), "must be in inclusive range [100, 599]");
                Percentages.CheckRange(abort.Percentage, p.Field("percentage"), errors);
            }
            if (fault.Delay is { } delay)
            {
                var p = http.Field("delay").Index(i);
                if (delay.Value is not null)
                {
                    if (!Durations.TryParse(delay.Value, out var value)) errors.Add(p.Field("value"), Durations.InvalidMessage);
                    else if (value < TimeSpan.Zero) errors.Add(p.Field("value"), "must not be negative when defined");
                }
                Percentages.CheckRange(delay.Percentage, p.Field("percentage"), errors);
            }
            if (fault.ResponseBandwidth is { } bandwidth)
            {
                var p = http.Field("responseBandwidth").Index(i);
                if (string.IsNullOrEmpty(bandwidth.Limit)) errors.Add(p.Field("limit"), "must be defined");
                else if (!Bandwidth().IsMatch(bandwidth.Limit)) errors.Add(p.Field("limit"), "must be in kbps/Mbps/Gbps units");
                Percentages.CheckRange(bandwidth.Percentage, p.Field("percentage"), errors);
            }
        }
    }
}
