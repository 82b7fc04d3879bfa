using System.Net;
using Kuma.Validation;

namespace Kuma.Resources.Core;

/// <summary>Kuma's Dataplane rules, checked in Kuma's order with Kuma's paths and wording.</summary>
internal static class DataplaneValidator
{
    /// <summary>What Kuma recognises as a protocol; its hint lists only the ones it supports fully.</summary>
    private static readonly string[] KnownProtocols = ["http", "http2", "tcp", "tls", "grpc", "kafka", "mysql"];
    private const string ProtocolHint = "Allowed values: grpc, http, http2, kafka, tcp";
    private const string BackendKinds = "MeshExternalService,MeshMultiZoneService,MeshService";
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    public static void Validate(DataplaneSpec spec, FieldPath path, ValidationErrors errors)
    {
        var netPath = path.Field("networking");
        if (spec.Networking is not { } net)
        {
            errors.Add(netPath, "must be defined");
            return;
        }
        if (net.Admin is { } admin)
        {
            var port = admin.Port ?? 0;
            if (UsesInbound(net, Loopback, port)) errors.Add(netPath.Field("admin").Field("port"), "must differ from inbound");
            if (UsesOutbound(net, Loopback, port)) errors.Add(netPath.Field("admin").Field("port"), "must differ from outbound");
        }
        var inbound = net.Inbound ?? [];
        var outbound = net.Outbound ?? [];
        var listeners = net.Listeners ?? [];
        switch (net.Gateway?.Type)
        {
            case "DELEGATED" or null when net.Gateway is not null:
                if (inbound.Count > 0) errors.Add(netPath.Field("inbound"), "inbound cannot be defined for delegated gateways");
                if (listeners.Count > 0) errors.Add(netPath.Field("listeners"), "listeners cannot be defined for delegated gateways");
                Gateway(net.Gateway, netPath.Field("gateway"), errors);
                Networking(net, netPath, errors);
                Probes(spec.Probes, path.Field("probes"), errors);
                break;
            case "BUILTIN":
                if (inbound.Count > 0) errors.Add(netPath.Field("inbound"), "inbound cannot be defined for builtin gateways");
                if (outbound.Count > 0) errors.Add(netPath.Field("outbound"), "outbound cannot be defined for builtin gateways");
                if (listeners.Count > 0) errors.Add(netPath.Field("listeners"), "listeners cannot be defined for builtin gateways");
                if (spec.Probes is not null) errors.Add(netPath.Field("probes"), "probes cannot be defined for builtin gateways");
                Gateway(net.Gateway!, netPath.Field("gateway"), errors);
                Networking(net, netPath, errors);
                break;
            default:
                if (net.Gateway is not null) errors.Add(netPath.Field("gateway").Field("type"), "must be one of DELEGATED, BUILTIN");
                Networking(net, netPath, errors);
                Probes(spec.Probes, path.Field("probes"), errors);
                if (spec.Metrics is { } metrics) Metrics(metrics, path.Field("metrics"), errors);
                Listeners(net, netPath.Field("listeners"), errors);
                break;
        }
        // Beyond Kuma's validator: enum fields its proto parser refuses.
        if (net.TransparentProxying is { } tp)
        {
            var tpPath = netPath.Field("transparentProxying");
            OptionalPort(tp.RedirectPortInbound, tpPath.Field("redirectPortInbound"), errors);
            OptionalPort(tp.RedirectPortOutbound, tpPath.Field("redirectPortOutbound"), errors);
            if (tp.IpFamilyMode is not (null or "dualstack" or "ipv4" or "ipv6" or "DualStack" or "IPv4" or "IPv6" or "UnSpecified"))
                errors.Add(tpPath.Field("ipFamilyMode"), "must be one of dualstack, ipv4, ipv6");
        }
        if (net.AdvertisedAddress is { Length: > 0 } advertised && !IPAddress.TryParse(advertised, out _))
            errors.Add(netPath.Field("advertisedAddress"), "must be a valid IP address");
    }

    private static void Networking(DataplaneNetworking net, FieldPath path, ValidationErrors errors)
    {
        Address(net.Address, path.Field("address"), errors);
        for (var i = 0; i < (net.Inbound?.Count ?? 0); i++)
        {
            var inbound = net.Inbound![i];
            var p = path.Field("inbound").Index(i);
            Inbound(inbound, net.Address ?? "", p, errors);
            // Tags are optional (newer setups carry none), but a tagged inbound needs its service.
            if (inbound.Tags is { Count: > 0 } tags && !tags.ContainsKey(TagRules.ServiceTag))
                errors.Add(p.Field("tags").Key(TagRules.ServiceTag), "tag has to exist");
        }
        for (var i = 0; i < (net.Outbound?.Count ?? 0); i++) Outbound(net.Outbound![i], path.Field("outbound").Index(i), errors);
        // Kuma spells this path without the second "y"; clients match on it.
        ReachableBackends(net.TransparentProxying?.ReachableBackends, path.Field("transparentProxing").Field("reachableBackends").Field("refs"), errors);
    }

    private static void Address(string? address, FieldPath path, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(address))
        {
            errors.Add(path, "address can't be empty");
            return;
        }
        if (address is "0.0.0.0" or "::") errors.Add(path, "must not be 0.0.0.0 or ::");
        if (!IPAddress.TryParse(address, out _) && Uri.CheckHostName(address) != UriHostNameType.Dns)
            errors.Add(path, "address has to be valid IP address or domain name");
    }

    private static void Inbound(DataplaneInbound inbound, string dpAddress, FieldPath path, ValidationErrors errors)
    {
        var port = inbound.Port ?? 0;
        var servicePort = inbound.ServicePort ?? 0;
        Port(port, path.Field("port"), errors);
        if (servicePort != 0) Port(servicePort, path.Field("servicePort"), errors);
        const string Overlap = "serviceAddress and servicePort has to differ from address and port";
        if (inbound.ServiceAddress is { Length: > 0 } serviceAddress)
        {
            if (!IPAddress.TryParse(serviceAddress, out _)) errors.Add(path.Field("serviceAddress"), "serviceAddress has to be valid IP address");
            if (serviceAddress == dpAddress && (servicePort == 0 || servicePort == port)) errors.Add(path.Field("serviceAddress"), Overlap);
        }
        if (inbound.Address is { Length: > 0 } address)
        {
            if (!IPAddress.TryParse(address, out _)) errors.Add(path.Field("address"), "address has to be valid IP address");
            if (address == inbound.ServiceAddress && (servicePort == 0 || servicePort == port)) errors.Add(path.Field("serviceAddress"), Overlap);
        }
        TagRules.Check(inbound.Tags, path.Field("tags"), errors, selector: false, whole: tags =>
        {
            if (tags.TryGetValue(TagRules.ProtocolTag, out var protocol) && !IsKnownProtocol(protocol))
                errors.Add(path.Field("tags").Key(TagRules.ProtocolTag), $"tag \"{TagRules.ProtocolTag}\" has an invalid value \"{protocol}\". {ProtocolHint}");
        });
        if (inbound.Protocol is { Length: > 0 } p && !IsKnownProtocol(p))
            errors.Add(path.Field("protocol"), $"has an invalid value \"{p}\". {ProtocolHint}");
        if (inbound.ServiceProbe is { } probe)
        {
            var pp = path.Field("serviceProbe");
            ProbeDuration(probe.Interval, pp.Field("interval"), errors);
            ProbeDuration(probe.Timeout, pp.Field("timeout"), errors);
            if (probe.UnhealthyThreshold is 0) errors.Add(pp.Field("unhealthyThreshold"), "must have a positive value");
            if (probe.HealthyThreshold is 0) errors.Add(pp.Field("healthyThreshold"), "must have a positive value");
        }
        // Beyond Kuma's validator: an enum its proto parser refuses.
        if (inbound.State is not (null or "Ready" or "NotReady" or "Ignored"))
            errors.Add(path.Field("state"), "must be one of Ready, NotReady, Ignored");
    }

    private static bool IsKnownProtocol(string protocol) => KnownProtocols.Contains(protocol.ToLowerInvariant());

    private static void ProbeDuration(string? value, FieldPath path, ValidationErrors errors)
    {
        if (value is null) return;
        if (!Durations.TryParse(value, out var duration) || duration < TimeSpan.Zero) errors.Add(path, "must have a valid value");
        else if (duration == TimeSpan.Zero) errors.Add(path, "must have a positive value");
    }

    private static void Outbound(DataplaneOutbound outbound, FieldPath path, ValidationErrors errors)
    {
        Port(outbound.Port ?? 0, path.Field("port"), errors);
        if (outbound.Address is { Length: > 0 } address && !IPAddress.TryParse(address, out _))
            errors.Add(path.Field("address"), "address has to be valid IP address");
        var tags = outbound.Tags ?? [];
        if (outbound.BackendRef is { } backendRef)
        {
            if (backendRef.Kind is not ("MeshService" or "MeshExternalService" or "MeshMultiZoneService"))
                errors.Add(path.Field("backendRef").Field("kind"), $"invalid value. Available values are: {BackendKinds}");
            if (string.IsNullOrEmpty(backendRef.Name) && backendRef.Labels is not { Count: > 0 })
                errors.Add(path.Field("backendRef"), "either 'name' or 'labels' should be specified");
            // A MeshExternalService's port comes from its endpoints.
            if (backendRef.Kind != "MeshExternalService") Port(backendRef.Port ?? 0, path.Field("backendRef").Field("port"), errors);
        }
        else if (tags.Count == 0) errors.Add(path.Field("tags"), $"mandatory tag \"{TagRules.ServiceTag}\" is missing");
        else TagRules.Check(tags, path.Field("tags"), errors, selector: false, requireService: true);
        if (outbound.BackendRef is not null && tags.Count > 0)
            errors.Add(path.Field("backendRef"), "both backendRef and tags/service cannot be defined");
    }

    private static void ReachableBackends(ReachableBackends? backends, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < (backends?.Refs?.Count ?? 0); i++)
        {
            var backendRef = backends!.Refs![i];
            var p = path.Index(i);
            if (backendRef.Kind is not ("MeshService" or "MeshExternalService" or "MeshMultiZoneService"))
                errors.Add(p.Field("kind"), $"invalid value. Available values are: {BackendKinds}");
            var hasName = backendRef.Name is { Length: > 0 };
            var hasNamespace = backendRef.Namespace is { Length: > 0 };
            var hasLabels = backendRef.Labels is { Count: > 0 };
            if (hasName && Names.CheckResourceName(backendRef.Name) is { } problem) errors.Add(p.Field("name"), problem);
            if (!hasName && !hasNamespace && !hasLabels) errors.Add(p.Field("name"), "name or labels are required");
            if (!hasName && hasNamespace) errors.Add(p.Field("name"), "name is required, when namespace is defined");
            if ((hasName || hasNamespace) && hasLabels) errors.Add(p.Field("labels"), "labels cannot be defined when name is specified");
        }
    }

    private static void Gateway(DataplaneGateway gateway, FieldPath path, ValidationErrors errors)
    {
        var tags = gateway.Tags ?? [];
        TagRules.Check(tags, path.Field("tags"), errors, selector: false, requireService: tags.Count > 0, whole: t =>
        {
            if (t.TryGetValue(TagRules.ProtocolTag, out var protocol) && !string.Equals(protocol, "tcp", StringComparison.OrdinalIgnoreCase))
                errors.Add(path.Field("tags").Key(TagRules.ProtocolTag), $"other values than tcp are not allowed, provided value \"{protocol}\"");
        });
    }

    private static void Probes(DataplaneProbes? probes, FieldPath path, ValidationErrors errors)
    {
        if (probes is null) return;
        Port(probes.Port ?? 0, path.Field("port"), errors);
        for (var i = 0; i < (probes.Endpoints?.Count ?? 0); i++)
        {
            var endpoint = probes.Endpoints![i];
            var p = path.Field("endpoints").Index(i);
            Port(endpoint.InboundPort ?? 0, p.Field("inboundPort"), errors);
            if (!IsRequestUri(endpoint.InboundPath)) errors.Add(p.Field("inboundPath"), "should be a valid URL Path");
            if (!IsRequestUri(endpoint.Path)) errors.Add(p.Field("path"), "should be a valid URL Path");
        }
    }

    /// <summary>
    /// What an HTTP request line may carry, as Kuma checks it (Go's <c>url.ParseRequestURI</c>): <c>*</c>, an absolute
    /// path, or a URL with a scheme; no control characters, and a <c>%</c> in the path only as an escape.
    /// </summary>
    private static bool IsRequestUri(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Any(c => c < 0x20 || c == 0x7f)) return false;
        if (value == "*") return true;
        var rest = value;
        if (value[0] != '/')
        {
            var colon = SchemeLength(value);
            if (colon <= 0) return false;
            rest = value[(colon + 1)..];
            // Without a slash after the scheme the rest is opaque and not checked further.
            if (!rest.StartsWith('/')) return true;
            rest = rest.Split('?')[0];
            if (rest.StartsWith("//", StringComparison.Ordinal))
                rest = rest.IndexOf('/', 2) is var slash and >= 0 ? rest[slash..] : "";
        }
        return ValidEscapes(rest.Split('?')[0]);
    }

    /// <summary>The length of a URL scheme (a letter, then letters, digits, <c>+</c>, <c>-</c> or <c>.</c>) ending at a colon; 0 if none.</summary>
    private static int SchemeLength(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetter(c)) continue;
            if (i > 0 && (char.IsAsciiDigit(c) || c is '+' or '-' or '.')) continue;
            return c == ':' ? i : 0;
        }
        return 0;
    }

    private static bool ValidEscapes(string path)
    {
        for (var i = path.IndexOf('%'); i >= 0; i = path.IndexOf('%', i + 1))
        {
            if (i + 2 >= path.Length || !char.IsAsciiHexDigit(path[i + 1]) || !char.IsAsciiHexDigit(path[i + 2])) return false;
        }
        return true;
    }

    private static void Metrics(DataplaneMetrics metrics, FieldPath path, ValidationErrors errors)
    {
        if (metrics.Type != "prometheus") errors.Add(path.Field("type"), "unknown backend type. Available backends: \"prometheus\"");
        else PrometheusConfig.Check(metrics.Conf, path.Field("conf"), errors);
    }

    private static void Listeners(DataplaneNetworking net, FieldPath path, ValidationErrors errors)
    {
        var names = new HashSet<string>((net.Inbound ?? []).Select(i => i.Name).OfType<string>().Where(n => n.Length > 0), StringComparer.Ordinal);
        var typeByAddress = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < (net.Listeners?.Count ?? 0); i++)
        {
            var listener = net.Listeners![i];
            var p = path.Index(i);
            var type = listener.Type ?? "Unspecified";
            if (type is not ("ZoneIngress" or "ZoneEgress")) errors.Add(p.Field("type"), "type must be ZoneIngress or ZoneEgress");
            Address(listener.Address, p.Field("address"), errors);
            Port(listener.Port ?? 0, p.Field("port"), errors);
            if (listener.Name is { Length: > 0 } name && !names.Add(name))
                errors.Add(p.Field("name"), $"name \"{name}\" must be unique across inbounds and listeners");
            var key = $"{listener.Address}:{listener.Port ?? 0}";
            if (typeByAddress.TryGetValue(key, out var existing))
            {
                errors.Add(p, existing == type
                    ? $"address:port {key} is already used by another listener"
                    : $"address:port {key} is used by listeners of different types");
            }
            else typeByAddress[key] = type;
            if ((net.Inbound ?? []).Any(inbound => $"{(inbound.Address is { Length: > 0 } a ? a : net.Address)}:{inbound.Port ?? 0}" == key))
                errors.Add(p, $"address:port {key} collides with an inbound listener");
        }
    }

    private static bool UsesInbound(DataplaneNetworking net, IPAddress address, uint port) =>
        (net.Inbound ?? []).Any(inbound =>
        {
            var dataplaneIp = inbound.Address is { Length: > 0 } a ? a : net.Address;
            var workloadIp = inbound.ServiceAddress is { Length: > 0 } s ? s : dataplaneIp;
            var workloadPort = inbound.ServicePort is { } sp and not 0 ? sp : inbound.Port ?? 0;
            return (port == (inbound.Port ?? 0) && Overlap(address, dataplaneIp)) || (port == workloadPort && Overlap(address, workloadIp));
        });

    private static bool UsesOutbound(DataplaneNetworking net, IPAddress address, uint port) =>
        (net.Outbound ?? []).Any(outbound => port == (outbound.Port ?? 0) && Overlap(address, outbound.Address is { Length: > 0 } a ? a : "127.0.0.1"));

    /// <summary>Same address, or either one a wildcard.</summary>
    private static bool Overlap(IPAddress address, string? other)
    {
        if (!IPAddress.TryParse(other, out var parsed)) return false;
        return IsUnspecified(address) || IsUnspecified(parsed) || address.Equals(parsed);
    }

    private static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    public static void Port(uint port, FieldPath path, ValidationErrors errors)
    {
        if (port is 0 or > 65535) errors.Add(path, "port must be in the range [1, 65535]");
    }

    private static void OptionalPort(uint? port, FieldPath path, ValidationErrors errors)
    {
        if (port is { } value) Port(value, path, errors);
    }
}
