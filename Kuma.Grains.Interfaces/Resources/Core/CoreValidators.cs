using System.Net;
using System.Text.RegularExpressions;
using Kuma.Validation;

namespace Kuma.Resources.Core;

internal static partial class CoreValidators
{
    public static readonly string[] Protocols = ["http", "http2", "grpc", "tcp", "kafka"];

    public static void Dataplane(DataplaneSpec spec, FieldPath path, ValidationErrors errors)
    {
        var net = spec.Networking;
        var netPath = path.Field("networking");
        if (net is null)
        {
            errors.Add(netPath, "must be defined");
            return;
        }
        if (string.IsNullOrEmpty(net.Address)) errors.Add(netPath.Field("address"), "address can't be empty");
        else if (net.Address is "0.0.0.0" or "::") errors.Add(netPath.Field("address"), "must not be 0.0.0.0 or ::");
        else if (!IsAddress(net.Address)) errors.Add(netPath.Field("address"), "address has to be valid IP address or domain name");
        if (net.AdvertisedAddress is { } advertised && !IPAddress.TryParse(advertised, out _))
            errors.Add(netPath.Field("advertisedAddress"), "must be a valid IP address");

        var inbound = net.Inbound ?? [];
        // Kuma 2.14 allows a sidecar without inbounds (a pure client, such as a proxyless gRPC caller).
        if (net.Gateway is not null && inbound.Count > 0)
            errors.Add(netPath.Field("inbound"), $"inbound cannot be defined for {(net.Gateway.Type == "BUILTIN" ? "builtin" : "delegated")} gateways");

        for (var i = 0; i < inbound.Count; i++)
            Inbound(inbound[i], netPath.Field("inbound").Index(i), errors);
        var outbound = net.Outbound ?? [];
        for (var i = 0; i < outbound.Count; i++)
            Outbound(outbound[i], netPath.Field("outbound").Index(i), errors);
        if (net.Gateway is { } gateway)
        {
            Tags(gateway.Tags, netPath.Field("gateway").Field("tags"), errors, requireService: gateway.Tags is { Count: > 0 });
            if (gateway.Type is not (null or "DELEGATED" or "BUILTIN"))
                errors.Add(netPath.Field("gateway").Field("type"), "must be one of DELEGATED, BUILTIN");
        }
        if (net.TransparentProxying is { } tp)
        {
            var tpPath = netPath.Field("transparentProxying");
            Port(tp.RedirectPortInbound, tpPath.Field("redirectPortInbound"), errors, required: false);
            Port(tp.RedirectPortOutbound, tpPath.Field("redirectPortOutbound"), errors, required: false);
            if (tp.IpFamilyMode is not (null or "dualstack" or "ipv4" or "ipv6" or "DualStack" or "IPv4" or "IPv6"))
                errors.Add(tpPath.Field("ipFamilyMode"), "must be one of dualstack, ipv4, ipv6");
        }
        if (net.Admin is { } admin) Port(admin.Port, netPath.Field("admin").Field("port"), errors, required: false);
    }

    private static void Inbound(DataplaneInbound inbound, FieldPath path, ValidationErrors errors)
    {
        Port(inbound.Port, path.Field("port"), errors, required: true);
        Port(inbound.ServicePort, path.Field("servicePort"), errors, required: false);
        if (inbound.ServiceAddress is { } sa && !IPAddress.TryParse(sa, out _))
            errors.Add(path.Field("serviceAddress"), "serviceAddress has to be valid IP address");
        if (inbound.Address is { } a && !IPAddress.TryParse(a, out _))
            errors.Add(path.Field("address"), "address has to be valid IP address");
        if (inbound.Protocol is { } protocol && !Protocols.Contains(protocol.ToLowerInvariant()))
            errors.Add(path.Field("protocol"), $"has an invalid value \"{protocol}\". Allowed values: {string.Join(", ", Protocols)}");
        if (inbound.State is not (null or "Ready" or "NotReady" or "Ignored"))
            errors.Add(path.Field("state"), "must be one of Ready, NotReady, Ignored");
        Tags(inbound.Tags, path.Field("tags"), errors, requireService: inbound.Tags is { Count: > 0 });
    }

    private static void Outbound(DataplaneOutbound outbound, FieldPath path, ValidationErrors errors)
    {
        Port(outbound.Port, path.Field("port"), errors, required: true);
        if (outbound.Address is { } a && !IPAddress.TryParse(a, out _))
            errors.Add(path.Field("address"), "address has to be valid IP address");
        if (outbound.BackendRef is { } backendRef)
        {
            if (outbound.Tags is { Count: > 0 }) errors.Add(path.Field("backendRef"), "both backendRef and tags/service cannot be defined");
            if (backendRef.Kind is not ("MeshService" or "MeshExternalService" or "MeshMultiZoneService"))
                errors.Add(path.Field("backendRef").Field("kind"), "invalid value. Available values are: MeshExternalService,MeshMultiZoneService,MeshService");
            if (string.IsNullOrEmpty(backendRef.Name) && backendRef.Labels is not { Count: > 0 })
                errors.Add(path.Field("backendRef"), "either 'name' or 'labels' should be specified");
            return;
        }
        Tags(outbound.Tags, path.Field("tags"), errors, requireService: true);
    }

    public static void Tags(Dictionary<string, string>? tags, FieldPath path, ValidationErrors errors, bool requireService)
    {
        if (requireService && (tags is null || !tags.ContainsKey("kuma.io/service")))
            errors.Add(path.Key("kuma.io/service"), "tag has to exist");
        foreach (var (key, value) in tags ?? [])
        {
            if (key.Length == 0) errors.Add(path, "tag name must be non-empty");
            else if (!TagName().IsMatch(key)) errors.Add(path.Key(key), "tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores");
            if (value.Length == 0) errors.Add(path.Key(key), "tag value must be non-empty");
            else if (!TagValue().IsMatch(value)) errors.Add(path.Key(key), "tag value must consist of alphanumeric characters, dots, dashes and underscores");
        }
        if (tags is not null && tags.TryGetValue("kuma.io/protocol", out var protocol) && !Protocols.Contains(protocol.ToLowerInvariant()))
            errors.Add(path.Key("kuma.io/protocol"), $"tag \"kuma.io/protocol\" has an invalid value \"{protocol}\". Allowed values: {string.Join(", ", Protocols)}");
    }

    [GeneratedRegex(@"^[a-zA-Z0-9.\-_:/]*\z")]
    private static partial Regex TagName();

    [GeneratedRegex(@"^[a-zA-Z0-9.\-_:]*\z")]
    private static partial Regex TagValue();

    public static void Port(uint? port, FieldPath path, ValidationErrors errors, bool required)
    {
        if (port is null)
        {
            if (required) errors.Add(path, "must be defined");
            return;
        }
        if (port is 0 or > 65535) errors.Add(path, "port must be in the range [1, 65535]");
    }

    private static bool IsAddress(string address) =>
        IPAddress.TryParse(address, out _) || Uri.CheckHostName(address) == UriHostNameType.Dns;

    public static void Mesh(MeshSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.Mtls is { } mtls)
        {
            var mtlsPath = path.Field("mtls");
            if (mtls.Backends is { Count: > 1 }) errors.Add(mtlsPath.Field("backends"), "cannot have more than 1 backends");
            var names = BackendNames(mtls.Backends?.Select(b => b.Name).ToList(), mtlsPath.Field("backends"), errors);
            if (mtls.EnabledBackend is { Length: > 0 } enabled && !names.Contains(enabled))
                errors.Add(mtlsPath.Field("enabledBackend"), "has to be set to one of the backends in the mesh");
            for (var i = 0; i < (mtls.Backends?.Count ?? 0); i++)
            {
                var backend = mtls.Backends![i];
                var bPath = mtlsPath.Field("backends").Index(i);
                if (backend.Type is not ("builtin" or "provided" or "vault" or "acmpca" or "certmanager"))
                    errors.Add(bPath.Field("type"), "must be one of builtin, provided, vault, acmpca, certmanager");
                if (backend.Mode is not (null or "STRICT" or "PERMISSIVE"))
                    errors.Add(bPath.Field("mode"), "must be one of STRICT, PERMISSIVE");
            }
        }
        CheckBackends(spec.Tracing?.Backends, spec.Tracing?.DefaultBackend, path.Field("tracing"), "defaultBackend", ["zipkin", "datadog"], errors);
        CheckBackends(spec.Logging?.Backends, spec.Logging?.DefaultBackend, path.Field("logging"), "defaultBackend", ["file", "tcp"], errors);
        CheckBackends(spec.Metrics?.Backends, spec.Metrics?.EnabledBackend, path.Field("metrics"), "enabledBackend", ["prometheus"], errors);
        if (spec.MeshServices?.Mode is not (null or "Disabled" or "Everywhere" or "ReachableBackends" or "Exclusive"))
            errors.Add(path.Field("meshServices").Field("mode"), "must be one of Disabled, Everywhere, ReachableBackends, Exclusive");
        var constraints = spec.Constraints?.DataplaneProxy;
        for (var i = 0; i < (constraints?.Requirements?.Count ?? 0); i++)
            Tags(constraints!.Requirements![i].Tags, path.Field("constraints").Field("dataplaneProxy").Field("requirements").Index(i).Field("tags"), errors, false);
        for (var i = 0; i < (constraints?.Restrictions?.Count ?? 0); i++)
            Tags(constraints!.Restrictions![i].Tags, path.Field("constraints").Field("dataplaneProxy").Field("restrictions").Index(i).Field("tags"), errors, false);
    }

    private static void CheckBackends(List<MeshBackend>? backends, string? selected, FieldPath path, string selectedField, string[] types, ValidationErrors errors)
    {
        var names = BackendNames(backends?.Select(b => b.Name).ToList(), path.Field("backends"), errors);
        if (selected is { Length: > 0 } && !names.Contains(selected))
            errors.Add(path.Field(selectedField), "has to be set to one of the backends in the mesh");
        for (var i = 0; i < (backends?.Count ?? 0); i++)
        {
            if (!types.Contains(backends![i].Type))
                errors.Add(path.Field("backends").Index(i).Field("type"), $"unknown backend type. Available backends: {string.Join(", ", types.Select(t => $"\"{t}\""))}");
            if (backends[i].Sampling is < 0 or > 100)
                errors.Add(path.Field("backends").Index(i).Field("sampling"), "has to be in [0.0 - 100.0] range");
        }
    }

    private static HashSet<string> BackendNames(List<string?>? names, FieldPath path, ValidationErrors errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (names?.Count ?? 0); i++)
        {
            var name = names![i];
            if (string.IsNullOrEmpty(name)) errors.Add(path.Index(i).Field("name"), "cannot be empty");
            else if (!seen.Add(name)) errors.Add(path.Index(i).Field("name"), $"\"{name}\" name is already used for another backend");
        }
        return seen;
    }

    public static void Secret(SecretSpec spec, FieldPath path, ValidationErrors errors)
    {
        // Kuma accepts a secret without data; what it does hold has to decode.
        if (spec.Data is null) return;
        Span<byte> buffer = new byte[spec.Data.Length];
        if (!Convert.TryFromBase64String(spec.Data, buffer, out _))
            errors.Add(path.Field("data"), "must be valid base64");
    }

    public static void Tenant(TenantSpec spec, FieldPath path, ValidationErrors errors)
    {
        var quotas = path.Field("quotas");
        if (spec.Quotas?.Meshes is < 0) errors.Add(quotas.Field("meshes"), "must not be negative");
        if (spec.Quotas?.Dataplanes is < 0) errors.Add(quotas.Field("dataplanes"), "must not be negative");
        if (spec.Quotas?.Policies is < 0) errors.Add(quotas.Field("policies"), "must not be negative");
        if (spec.ApiRateLimit?.RequestsPerSecond is < 1)
            errors.Add(path.Field("apiRateLimit").Field("requestsPerSecond"), "must be at least 1");
    }
}
