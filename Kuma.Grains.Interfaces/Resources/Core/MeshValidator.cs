using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kuma.Validation;

namespace Kuma.Resources.Core;

/// <summary>Kuma's Mesh rules in Kuma's order and wording (its backend settings are reported under "config").</summary>
internal static partial class MeshValidator
{
    [GeneratedRegex(@"^\d+(y|w|d|h|m|s|ms)\z")]
    private static partial Regex RotationDuration();

    public static void Validate(MeshSpec spec, FieldPath path, ValidationErrors errors)
    {
        Mtls(spec.Mtls, path.Field("mtls"), errors);
        Logging(spec.Logging, path.Field("logging"), errors);
        Tracing(spec.Tracing, path.Field("tracing"), errors);
        Metrics(spec.Metrics, path.Field("metrics"), errors);
        var constraints = spec.Constraints?.DataplaneProxy;
        var cp = path.Field("constraints").Field("dataplaneProxy");
        for (var i = 0; i < (constraints?.Requirements?.Count ?? 0); i++)
            TagRules.Check(constraints!.Requirements![i].Tags, cp.Field("requirements").Index(i).Field("tags"), errors, selector: true, requireAtLeastOne: true);
        for (var i = 0; i < (constraints?.Restrictions?.Count ?? 0); i++)
            TagRules.Check(constraints!.Restrictions![i].Tags, cp.Field("restrictions").Index(i).Field("tags"), errors, selector: true, requireAtLeastOne: true);
        if (spec.Routing?.ZoneEgress == true && spec.Mtls?.EnabledBackend is not { Length: > 0 })
            errors.Add(path.Field("mtls"), "has to be set when zoneEgress enabled");
        // Beyond Kuma's validator: enum fields its proto parser refuses.
        if (spec.MeshServices?.Mode is not (null or "Disabled" or "Everywhere" or "ReachableBackends" or "Exclusive"))
            errors.Add(path.Field("meshServices").Field("mode"), "must be one of Disabled, Everywhere, ReachableBackends, Exclusive");
    }

    private static void Mtls(MeshMtls? mtls, FieldPath path, ValidationErrors errors)
    {
        if (mtls is null) return;
        var backends = mtls.Backends ?? [];
        // Kuma allows one backend; this control plane allows several, so a CA can be rotated while mTLS stays on
        // (every listed backend's CA is trusted, the enabled one issues).
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            var name = backend.Name ?? "";
            if (!names.Add(name)) errors.Add(path.Field("backends").Index(i).Field("name"), $"\"{name}\" name is already used for another backend");
            if (backend.DpCert is { } dpCert)
            {
                var expiration = dpCert["rotation"]?["expiration"] is JsonValue e && e.GetValueKind() == JsonValueKind.String ? e.GetValue<string>() : "";
                if (expiration != "0" && !RotationDuration().IsMatch(expiration))
                    errors.Add(path.Field("dpcert").Field("rotation").Field("expiration"), "has to be a valid format");
            }
        }
        if (mtls.EnabledBackend is { Length: > 0 } enabled && !names.Contains(enabled))
            errors.Add(path.Field("enabledBackend"), "has to be set to one of the backends in the mesh");
        for (var i = 0; i < backends.Count; i++)
        {
            // Beyond Kuma's validator: values its CA managers and proto parser refuse.
            var p = path.Field("backends").Index(i);
            if (backends[i].Type is not ("builtin" or "provided" or "vault" or "acmpca" or "certmanager"))
                errors.Add(p.Field("type"), "must be one of builtin, provided, vault, acmpca, certmanager");
            if (backends[i].Mode is not (null or "STRICT" or "PERMISSIVE")) errors.Add(p.Field("mode"), "must be one of STRICT, PERMISSIVE");
        }
    }

    private static void Logging(MeshBackends? logging, FieldPath path, ValidationErrors errors)
    {
        if (logging is null) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (logging.Backends?.Count ?? 0); i++)
        {
            var backend = logging.Backends![i];
            var p = path.Field("backends").Index(i);
            if (string.IsNullOrEmpty(backend.Name)) errors.Add(p.Field("name"), "cannot be empty");
            var config = p.Field("config");
            switch (backend.Type)
            {
                case "file":
                    if (String(backend.Conf, "path") is not { Length: > 0 }) errors.Add(config.Field("path"), "cannot be empty");
                    break;
                case "tcp":
                    var address = String(backend.Conf, "address");
                    if (address is not { Length: > 0 }) errors.Add(config.Field("address"), "cannot be empty");
                    else if (!IsHostPort(address)) errors.Add(config.Field("address"), "has to be in format of HOST:PORT");
                    break;
                default:
                    errors.Add(p.Field("type"), "unknown backend type. Available backends: \"tcp\", \"file\"");
                    break;
            }
            if (!names.Add(backend.Name ?? "")) errors.Add(p.Field("name"), $"\"{backend.Name}\" name is already used for another backend");
        }
        if (logging.DefaultBackend is { Length: > 0 } selected && !names.Contains(selected))
            errors.Add(path.Field("defaultBackend"), "has to be set to one of the logging backend in mesh");
    }

    private static void Tracing(MeshBackends? tracing, FieldPath path, ValidationErrors errors)
    {
        if (tracing is null) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (tracing.Backends?.Count ?? 0); i++)
        {
            var backend = tracing.Backends![i];
            var p = path.Field("backends").Index(i);
            if (string.IsNullOrEmpty(backend.Name)) errors.Add(p.Field("name"), "cannot be empty");
            if (backend.Sampling is < 0 or > 100) errors.Add(p.Field("sampling"), "has to be in [0.0 - 100.0] range");
            var config = p.Field("config");
            switch (backend.Type)
            {
                case "zipkin":
                    Zipkin(backend.Conf, config, errors);
                    break;
                case "datadog":
                    if (String(backend.Conf, "address") is not { Length: > 0 }) errors.Add(config.Field("address"), "cannot be empty");
                    var port = backend.Conf?["port"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) ? n : 0;
                    if (port is <= 0 or > 65535) errors.Add(config.Field("port"), "port must be in the range [1, 65535]");
                    break;
                default:
                    errors.Add(p.Field("type"), "unknown backend type. Available backends: \"zipkin\", \"datadog\"");
                    break;
            }
            if (!names.Add(backend.Name ?? "")) errors.Add(p.Field("name"), $"\"{backend.Name}\" name is already used for another backend");
        }
        if (tracing.DefaultBackend is { Length: > 0 } selected && !names.Contains(selected))
            errors.Add(path.Field("defaultBackend"), "has to be set to one of the tracing backend in mesh");
    }

    private static void Zipkin(JsonObject? conf, FieldPath path, ValidationErrors errors)
    {
        if (String(conf, "apiVersion") is { Length: > 0 } version && version is not ("httpJsonV1" or "httpJson" or "httpProto"))
            errors.Add(path.Field("apiVersion"), "has invalid value. Allowed values: httpJsonV1, httpJson, httpProto");
        var url = String(conf, "url");
        if (url is not { Length: > 0 })
        {
            errors.Add(path.Field("url"), "cannot be empty");
            return;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || url.Contains(' ', StringComparison.Ordinal)) errors.Add(path.Field("url"), "invalid URL");
        else if (!HasExplicitPort(url, uri)) errors.Add(path.Field("url"), "port has to be explicitly specified");
    }

    /// <summary>.NET fills in a scheme's default port; Kuma wants the port written.</summary>
    private static bool HasExplicitPort(string url, Uri uri)
    {
        var authority = uri.GetComponents(UriComponents.HostAndPort, UriFormat.UriEscaped);
        return authority.Contains(':', StringComparison.Ordinal) && url.Contains($":{uri.Port}", StringComparison.Ordinal);
    }

    private static void Metrics(MeshMetrics? metrics, FieldPath path, ValidationErrors errors)
    {
        if (metrics is null) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (metrics.Backends?.Count ?? 0); i++)
        {
            var backend = metrics.Backends![i];
            var p = path.Field("backends").Index(i);
            if (names.Contains(backend.Name ?? "")) errors.Add(p.Field("name"), $"\"{backend.Name}\" name is already used for another backend");
            if (backend.Type != "prometheus") errors.Add(p.Field("type"), "unknown backend type. Available backends: \"prometheus\"");
            else PrometheusConfig.Check(backend.Conf, p.Field("conf"), errors);
            names.Add(backend.Name ?? "");
        }
        if (metrics.EnabledBackend is { Length: > 0 } selected && !names.Contains(selected))
            errors.Add(path.Field("enabledBackend"), "has to be set to one of the backends in the mesh");
    }

    private static string? String(JsonObject? conf, string field) =>
        conf?[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool IsHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1) return false;
        var host = address[..colon];
        if (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out _)))
            return false;
        return true;
    }
}
