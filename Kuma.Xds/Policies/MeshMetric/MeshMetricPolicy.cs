using System.Text.RegularExpressions;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshMetric;

/// <summary>
/// MeshMetric: which metrics a proxy publishes and the backends that get them (a Prometheus scrape listener,
/// OpenTelemetry push through kuma-dp). A whole-proxy policy: a top-level <c>default</c>, no <c>to</c> or <c>from</c>.
/// </summary>
public static class MeshMetricPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: false, HasRules: false);

    // Kuma's kinds for policies in the system role (the role of every policy this control plane stores).
    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, Dataplane];

    public const string PrometheusType = "Prometheus";
    public const string OpenTelemetryType = "OpenTelemetry";
    public const string ProvidedTlsMode = "ProvidedTLS";
    private const string PortMessage = "port must be a valid (1-65535)";

    public static readonly ResourceDescriptor<MeshMetricSpec> Descriptor = new()
    {
        Name = "MeshMetric",
        Plural = "meshmetrics",
        ShortName = "mm",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: the targetRef, then the default's sidecar, applications and backends.</summary>
    private static void Validate(MeshMetricSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: false));
        }
        var conf = spec.Default ?? new MeshMetricConf();
        var p = path.Field("default");
        CheckSidecar(conf.Sidecar, p.Field("sidecar"), errors);
        // Kuma names list items by a singular of the list's name, beneath it: applications.application[0].
        for (var i = 0; i < (conf.Applications?.Count ?? 0); i++)
        {
            if (!IsPort(conf.Applications![i].Port)) errors.Add(p.Field("applications").Field("application").Index(i), PortMessage);
        }
        for (var i = 0; i < (conf.Backends?.Count ?? 0); i++)
            CheckBackend(conf.Backends![i], p.Field("backends").Field("backend").Index(i), errors);
    }

    private static void CheckSidecar(MetricsSidecar? sidecar, FieldPath path, ValidationErrors errors)
    {
        if (sidecar?.Profiles is not { } profiles) return;
        var p = path.Field("profiles");
        CheckSelectors(profiles.Exclude, p.Field("exclude"), errors);
        CheckSelectors(profiles.Include, p.Field("include"), errors);
        for (var i = 0; i < (profiles.AppendProfiles?.Count ?? 0); i++)
        {
            var name = profiles.AppendProfiles![i].Name;
            if (name is not ("All" or "None" or "Basic"))
                errors.Add(p.Field("appendProfiles").Index(i).Field("name"), $"unrecognized profile name '{name}' - 'All', 'None', 'Basic' are supported");
        }
    }

    private static void CheckSelectors(List<MetricsSelector>? selectors, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (selectors?.Count ?? 0); i++)
        {
            var selector = selectors![i];
            switch (selector.Type)
            {
                case "Regex":
                    if (!IsRegex(selector.Match ?? "")) errors.Add(path.Index(i).Field("match"), "invalid regex");
                    break;
                case "Prefix" or "Exact" or "Contains":
                    break;
                default:
                    errors.Add(path.Index(i).Field("type"), $"unrecognized type '{selector.Type}' - 'Regex', 'Prefix', 'Exact' are supported");
                    break;
            }
        }
    }

    private static void CheckBackend(MetricsBackend backend, FieldPath path, ValidationErrors errors)
    {
        switch (backend)
        {
            case { Type: PrometheusType, Prometheus: null }:
                errors.Add(path.Field("prometheus"), "must be defined");
                break;
            case { Type: PrometheusType, Prometheus.Port: { } port }:
                // An unset port takes Kuma's schema default (5670); Kuma names the port beside the backend, not in it.
                if (!IsPort(port)) errors.Add(path.Field("port"), PortMessage);
                break;
            case { Type: PrometheusType }:
                break;
            case { Type: OpenTelemetryType, OpenTelemetry: null }:
                errors.Add(path.Field("openTelemetry"), "must be defined");
                break;
            case { Type: OpenTelemetryType, OpenTelemetry: { } otel }:
                CheckOpenTelemetry(otel, path.Field("openTelemetry"), errors);
                break;
            default:
                errors.Add(path, "unrecognized type");
                break;
        }
    }

    /// <summary>Exactly one of endpoint and backendRef; an endpoint is <c>host:port</c>, never a URL.</summary>
    private static void CheckOpenTelemetry(OpenTelemetryMetricsBackend otel, FieldPath path, ValidationErrors errors)
    {
        if (OpenTelemetryCollector.Check(otel.Endpoint, otel.BackendRef, path, errors) && !OpenTelemetryEndpoint.IsHostPort(otel.Endpoint!))
            errors.Add(path.Field("endpoint"), "must be in host:port format");
        // Kuma reads it as a Go duration while decoding and checks nothing more.
        if (otel.RefreshInterval is { } interval && !Durations.TryParse(interval, out _))
            errors.Add(path.Field("refreshInterval"), Durations.InvalidMessage);
    }

    private static bool IsPort(long? port) => port is > 0 and <= 65535;

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
