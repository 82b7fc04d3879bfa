using System.Text.Json;
using System.Text.RegularExpressions;
using Kuma.Policies.MeshHealthCheck;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshAccessLog;

/// <summary>
/// MeshAccessLog: access logs of outbound traffic (<c>to</c>) and inbound traffic (<c>rules</c>, or <c>from</c>,
/// which Kuma reads as match-less rules), written to a file, to a TCP collector through kuma-dp, or to an
/// OpenTelemetry collector.
/// </summary>
public static partial class MeshAccessLogPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: true, HasFrom: true, HasRules: true);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshGateway, MeshService, MeshServiceSubset, Dataplane];
    private static readonly string[] ToKinds = [Mesh, MeshService, MeshExternalService, MeshMultiZoneService, MeshHTTPRoute];
    private static readonly string[] ToKindsUnderGateway = [Mesh];
    private static readonly string[] FromKinds = [Mesh];

    public static readonly ResourceDescriptor<PolicySpec<MeshAccessLogConf>> Descriptor = new()
    {
        Name = "MeshAccessLog",
        Plural = "meshaccesslogs",
        ShortName = "mal",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    /// <summary>Kuma's order: top targetRef, the section rules, then <c>to</c>, <c>from</c> and <c>rules</c> entries.</summary>
    private static void Validate(PolicySpec<MeshAccessLogConf> spec, FieldPath path, ValidationErrors errors)
    {
        var to = spec.To?.Count ?? 0;
        var from = spec.From?.Count ?? 0;
        var rules = spec.Rules?.Count ?? 0;
        if (spec.TargetRef is { } top)
        {
            PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors,
                new TargetRefOptions(GatewayTagsAllowed: true, InboundPolicy: from > 0 || rules > 0));
        }
        if (rules > 0 && (to > 0 || from > 0)) errors.Add(path, "fields 'to' and 'from' must be empty when 'rules' is defined");
        if (rules == 0 && to == 0 && from == 0) errors.Add(path, "at least one of 'from', 'to' or 'rules' has to be defined");

        var toKinds = spec.TargetRef?.Kind == MeshGateway ? ToKindsUnderGateway : ToKinds;
        for (var i = 0; i < to; i++)
        {
            var p = path.Field("to").Index(i);
            CheckEntryTargetRef(spec.To![i].TargetRef, p.Field("targetRef"), toKinds, errors);
            CheckConf(spec.To[i].Default, p.Field("default"), errors);
        }
        for (var i = 0; i < from; i++)
        {
            var p = path.Field("from").Index(i);
            CheckEntryTargetRef(spec.From![i].TargetRef, p.Field("targetRef"), FromKinds, errors);
            CheckConf(spec.From[i].Default, p.Field("default"), errors);
        }
        for (var i = 0; i < rules; i++)
        {
            var p = path.Field("rules").Index(i);
            var matches = spec.Rules![i].Matches ?? [];
            for (var m = 0; m < matches.Count; m++) PolicyValidation.CheckMatchValues(matches[m], p.Field("matches").Index(m), errors);
            CheckConf(spec.Rules[i].Default, p.Field("default"), errors);
        }
    }

    private static void CheckEntryTargetRef(TargetRef? targetRef, FieldPath path, string[] kinds, ValidationErrors errors)
    {
        if (targetRef is null) errors.Add(path.Field("kind"), "must be defined");
        else PolicyValidation.CheckTargetRef(targetRef, path, kinds, errors);
    }

    /// <summary>A missing <c>default</c> is an empty one to Kuma, so it is reported as missing backends.</summary>
    private static void CheckConf(MeshAccessLogConf? conf, FieldPath path, ValidationErrors errors)
    {
        if (conf?.Backends is not { } backends)
        {
            errors.Add(path.Field("backends"), "must be defined");
            return;
        }
        for (var i = 0; i < backends.Count; i++) CheckBackend(backends[i], path.Field("backends").Index(i), errors);
    }

    private static void CheckBackend(AccessLogBackend backend, FieldPath path, ValidationErrors errors)
    {
        switch (backend.Type)
        {
            case BackendTypes.File:
                if (backend.File is not { } file)
                {
                    errors.Add(path.Field("file"), "must be defined");
                    break;
                }
                if (file.Format is { } fileFormat) CheckFormat(fileFormat, path.Field("file").Field("format"), errors);
                if (!FilePaths.IsValid(file.Path ?? "")) errors.Add(path.Field("file").Field("path"), "file backend requires a valid path");
                break;
            case BackendTypes.Tcp:
                if (backend.Tcp is not { } tcp)
                {
                    errors.Add(path.Field("tcp"), "must be defined");
                    break;
                }
                if (tcp.Format is { } tcpFormat) CheckFormat(tcpFormat, path.Field("tcp").Field("format"), errors);
                if (!LooksLikeUrl(tcp.Address ?? "")) errors.Add(path.Field("tcp").Field("address"), "tcp backend requires valid address");
                break;
            case BackendTypes.OpenTelemetry:
                if (backend.OpenTelemetry is not { } otel)
                {
                    errors.Add(path.Field("openTelemetry"), "must be defined");
                    break;
                }
                CheckOtel(otel, path.Field("openTelemetry"), errors);
                break;
            default:
                // Kuma's schema admits only these; its validator never sees anything else.
                errors.Add(path.Field("type"), $"should be one of [{BackendTypes.Tcp}, {BackendTypes.File}, {BackendTypes.OpenTelemetry}]");
                break;
        }
    }

    private static void CheckOtel(OtelBackend otel, FieldPath path, ValidationErrors errors)
    {
        OpenTelemetryCollector.Check(otel.Endpoint, otel.BackendRef, path, errors);
        var attributes = otel.Attributes ?? [];
        for (var i = 0; i < attributes.Count; i++) CheckAttributeName(attributes[i].Key ?? "", path.Field("attributes").Index(i).Field("key"), errors);
    }

    /// <summary>OpenTelemetry attribute names as Kuma allows them: static, outside <c>otel.</c>, lower case with single delimiters.</summary>
    private static void CheckAttributeName(string key, FieldPath path, ValidationErrors errors)
    {
        if (key.Length == 0) errors.Add(path, "must be defined");
        else if (key.Contains('%', StringComparison.Ordinal)) errors.Add(path, "must be a static OpenTelemetry attribute name; placeholders are only supported in values");
        else if (key.StartsWith("otel.", StringComparison.Ordinal)) errors.Add(path, "must not use the reserved OpenTelemetry prefix 'otel.'");
        else if (!AttributeName().IsMatch(key))
            errors.Add(path, "must start with a lowercase letter, use only lowercase letters, digits, '.' or '_', avoid consecutive delimiters, and end with a letter or digit");
    }

    private static void CheckFormat(AccessLogFormat format, FieldPath path, ValidationErrors errors)
    {
        switch (format.Type)
        {
            case FormatTypes.Plain:
                if (format.Plain is null) errors.Add(path.Field("plain"), "must be defined");
                else if (format.Plain.Length == 0) errors.Add(path.Field("plain"), "must not be empty");
                break;
            case FormatTypes.Json:
                if (format.Json is not { } fields)
                {
                    errors.Add(path.Field("json"), "must be defined");
                    break;
                }
                if (fields.Count == 0) errors.Add(path.Field("json"), "must not be empty");
                for (var i = 0; i < fields.Count; i++)
                {
                    var p = path.Field("json").Index(i);
                    var (key, value) = (fields[i].Key ?? "", fields[i].Value ?? "");
                    if (key.Length == 0) errors.Add(p.Field("key"), "key cannot be empty");
                    if (value.Length == 0) errors.Add(p.Field("value"), "value cannot be empty");
                    if (!PastesIntoJson(key, value)) errors.Add(p, "is not a valid JSON object");
                }
                break;
            default:
                errors.Add(path.Field("type"), $"should be one of [{FormatTypes.Plain}, {FormatTypes.Json}]");
                break;
        }
    }

    /// <summary>Kuma pastes key and value between quotes into one JSON object and parses that; characters JSON escapes break it.</summary>
    private static bool PastesIntoJson(string key, string value)
    {
        try
        {
            JsonDocument.Parse($"{{\"{key}\": \"{value}\"}}").Dispose();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// What Kuma accepts as a TCP collector's address (it uses govalidator's URL check): an optional scheme
    /// (http, https, ws, wss, ftp, tcp, udp) and user info, a host name, IPv4 or bracketed IPv6 address, an optional
    /// port and path. A bare word is a path to that check, not a host: it needs a dot, a port or a scheme.
    /// </summary>
    public static bool LooksLikeUrl(string address)
    {
        if (address.Length is <= 3 or >= 2083 || address.StartsWith('.')) return false;
        var hasScheme = address.Contains("://", StringComparison.Ordinal);
        if (!hasScheme && !address.Contains(':', StringComparison.Ordinal) && !address.Contains('.', StringComparison.Ordinal)) return false;
        return UrlShape().IsMatch(address);
    }

    [GeneratedRegex(@"^(?:(?:ftp|tcp|udp|wss?|https?)://)?(?:\S+(?::\S*)?@)?(?:\[[0-9A-Fa-f:.]+\]|[\p{L}\p{N}_](?:[\p{L}\p{N}_-]*[\p{L}\p{N}_])?(?:\.[\p{L}\p{N}_](?:[\p{L}\p{N}_-]*[\p{L}\p{N}_])?)*)\.?(?::\d{1,5})?(?:[/?#]\S*)?\z")]
    private static partial Regex UrlShape();

    [GeneratedRegex(@"^[a-z](?:[a-z0-9]|[._][a-z0-9])*\z")]
    private static partial Regex AttributeName();
}
