using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshTrace;

/// <summary>
/// MeshTrace: tracing on every HTTP connection manager of the selected proxies, with one Zipkin, Datadog or
/// OpenTelemetry collector. Validated as Kuma validates a policy without a role label (a system policy).
/// </summary>
public static class MeshTracePolicy
{
    /// <summary>No sections: the whole policy is its top-level <c>default</c>.</summary>
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: false, HasRules: false);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane];

    public const string ZipkinType = "Zipkin";
    public const string DatadogType = "Datadog";
    public const string OpenTelemetryType = "OpenTelemetry";
    private static readonly string[] BackendTypes = [ZipkinType, DatadogType, OpenTelemetryType];

    public static readonly ResourceDescriptor<MeshTraceSpec> Descriptor = new()
    {
        Name = "MeshTrace",
        Plural = "meshtraces",
        ShortName = "mtr",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(MeshTraceSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top) PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors);
        CheckConf(spec.Default ?? new MeshTraceConf(), path.Field("default"), errors);
    }

    private static void CheckConf(MeshTraceConf conf, FieldPath path, ValidationErrors errors)
    {
        var backends = path.Field("backends");
        if (conf.Backends is null) errors.Add(backends, "must be defined");
        else if (conf.Backends.Count > 1) errors.Add(backends, "must have zero or one backend defined");
        else if (conf.Backends.Count == 1) CheckBackend(conf.Backends[0], backends.Index(0), errors);

        for (var i = 0; i < (conf.Tags?.Count ?? 0); i++)
        {
            var tag = conf.Tags![i];
            var p = path.Field("tags").Index(i);
            if (string.IsNullOrEmpty(tag.Name)) errors.Add(p.Field("name"), "must not be empty");
            if ((tag.Header is null) == (tag.Literal is null)) errors.Add(p, "tag must have only one type defined: header, literal");
        }

        if (conf.Sampling is { } sampling)
        {
            var p = path.Field("sampling");
            CheckPercent(sampling.Client, p.Field("client"), errors);
            CheckPercent(sampling.Random, p.Field("random"), errors);
            CheckPercent(sampling.Overall, p.Field("overall"), errors);
        }
    }

    private static void CheckBackend(TraceBackend backend, FieldPath path, ValidationErrors errors)
    {
        switch (backend.Type)
        {
            case DatadogType:
                if (backend.Datadog is not { } datadog) errors.Add(path.Field("datadog"), "must be defined");
                else CheckDatadogUrl(datadog.Url ?? "", path.Field("datadog").Field("url"), errors);
                break;
            case ZipkinType:
                var zipkinPath = path.Field("zipkin");
                if (backend.Zipkin is not { } zipkin) errors.Add(zipkinPath, "must be defined");
                else if (string.IsNullOrEmpty(zipkin.Url)) errors.Add(zipkinPath.Field("url"), "must not be empty");
                else if (!LooseUrl.IsUrl(zipkin.Url)) errors.Add(zipkinPath.Field("url"), "must be a valid url");
                if (backend.Zipkin?.ApiVersion is { } version && version is not ("httpJson" or "httpProto"))
                    errors.Add(zipkinPath.Field("apiVersion"), "must be one of: httpJson, httpProto");
                break;
            case OpenTelemetryType:
                if (backend.OpenTelemetry is not { } otel) errors.Add(path.Field("openTelemetry"), "must be defined");
                else CheckOpenTelemetry(otel, path.Field("openTelemetry"), errors);
                break;
            default:
                // Kuma's schema refuses other values before its validator runs; the message is ours.
                errors.Add(path.Field("type"), $"must be one of: {string.Join(", ", BackendTypes)}");
                break;
        }
    }

    /// <summary>Kuma's Datadog rules: a request URI with scheme http, a port in range, and nothing but a host beside.</summary>
    private static void CheckDatadogUrl(string url, FieldPath path, ValidationErrors errors)
    {
        if (RequestUri.Parse(url) is not { } uri)
        {
            errors.Add(path, "must be a valid url");
            return;
        }
        if (uri.Scheme != "http") errors.Add(path, "scheme must be http");
        if (uri.Port.Length == 0) errors.Add(path, "port must be defined");
        else if (!int.TryParse(uri.Port, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
            errors.Add(path, "port must be a valid (1-65535)");
        if (uri.Opaque.Length > 0) errors.Add(path, "opaque must not be defined");
        if (uri.HasUser) errors.Add(path, "user must not be defined");
        if (uri.Path.Length > 0) errors.Add(path, "path must not be defined");
        if (uri.Query.Length > 0) errors.Add(path, "query must not be defined");
    }

    /// <summary>Exactly one of endpoint (host:port) and backendRef, as Kuma checks OpenTelemetry backends everywhere.</summary>
    private static void CheckOpenTelemetry(OpenTelemetryBackend otel, FieldPath path, ValidationErrors errors)
    {
        OpenTelemetryCollector.Check(otel.Endpoint, otel.BackendRef, path, errors);
    }

    /// <summary>Kuma's int-or-string percentages: a string that is no number, and any value outside 0..100, are refused.</summary>
    private static void CheckPercent(JsonNode? node, FieldPath path, ValidationErrors errors)
    {
        if (node is null) return;
        if (ReadPercent(node) is { } value)
        {
            if (value < 0 || value > 100) errors.Add(path, "must be between 0 and 100");
        }
        else
        {
            errors.Add(path, node.GetValueKind() == JsonValueKind.String ? "string is not a number" : Percentages.NotIntOrString);
        }
    }

    /// <summary>The percentage, or null when it is no int-or-string number.</summary>
    public static decimal? ReadPercent(JsonNode node)
    {
        switch (node.GetValueKind())
        {
            case JsonValueKind.Number:
                return JsonIntegers.TryRead(node.ToJsonString(), out var integer) == JsonIntegers.Reading.Integer
                    && integer >= int.MinValue && integer <= int.MaxValue ? (decimal)integer : null;
            case JsonValueKind.String:
                const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
                return decimal.TryParse(node.GetValue<string>(), style, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            default:
                return null;
        }
    }
}
