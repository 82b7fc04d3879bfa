using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// MeshPassthrough: which destinations outside the mesh a sidecar's outbound passthrough (the transparent proxy's
/// catch-all listener) lets through, by domain, IP or CIDR, port and protocol. A whole-proxy policy: one
/// top-level <c>default</c>, no sections.
/// </summary>
public static class MeshPassthroughPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: false, HasRules: false);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, Dataplane];

    /// <summary>Every protocol a match may name, in the order Kuma lists them in its error.</summary>
    public static readonly string[] Protocols = ["tcp", "tls", "grpc", "http", "http2", "mysql"];

    /// <summary>HTTP flavours Envoy cannot tell apart on one port (they all arrive as plain bytes with the same ALPN).</summary>
    public static readonly string[] HttpProtocols = ["grpc", "http", "http2"];

    public static readonly ResourceDescriptor<MeshPassthroughSpec> Descriptor = new()
    {
        Name = "MeshPassthrough",
        Plural = "meshpassthroughs",
        ShortName = "mp",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(MeshPassthroughSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top) PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors);
        CheckMatches(spec.Default.AppendMatch ?? [], path.Field("default").Field("appendMatch"), errors);
    }

    /// <summary>Kuma's checks, per match and in its order; the port checks look back at the matches before.</summary>
    private static void CheckMatches(List<PassthroughMatch> matches, FieldPath path, ValidationErrors errors)
    {
        var protocolOnPort = new Dictionary<uint, string>();
        var valuesOnPort = new HashSet<(uint Port, string Protocol, string Value)>();
        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            var at = path.Index(i);
            var protocol = match.Protocol ?? "";
            var value = match.Value ?? "";
            if (protocol == "mysql" && match.Port is null) errors.Add(at.Field("port"), "port must be defined for Mysql protocol");
            if (match.Port is 0 or > ushort.MaxValue) errors.Add(at.Field("port"), "port must be a valid (1-65535)");
            if (match.Port is { } port)
            {
                // Only an HTTP flavour joining a port some other protocol took is refused; the port then keeps its first one.
                if (protocolOnPort.TryGetValue(port, out var taken) && taken != protocol && HttpProtocols.Contains(protocol))
                    errors.Add(at.Field("port"), $"using the same port in multiple matches requires the same protocol for the following protocols: [{string.Join(' ', HttpProtocols)}]");
                else
                    protocolOnPort[port] = protocol;
                if (!valuesOnPort.Add((port, protocol, value)))
                    errors.Add(at.Field("value"), $"value {value} is already defiend for this port and protocol");
            }
            if (!Protocols.Contains(protocol))
                errors.Add(at.Field("protocol"), $"\"protocol\" must be one of [{string.Join(", ", Protocols.Select(p => $"\"{p}\""))}]");
            CheckValue(match, protocol, value, at, errors);
        }
    }

    private static void CheckValue(PassthroughMatch match, string protocol, string value, FieldPath at, ValidationErrors errors)
    {
        switch (match.Type)
        {
            case "CIDR":
                if (!AddressText.IsCidr(value)) errors.Add(at.Field("value"), "provided CIDR has incorrect value");
                break;
            case "IP":
                if (!AddressText.IsIp(value)) errors.Add(at.Field("value"), "provided IP has incorrect value");
                break;
            case "Domain":
                // Without an address or a server name to go by, a domain can only be told from the Host header or SNI.
                if (protocol is "tcp" or "mysql") errors.Add(at.Field("protocol"), $"protocol {protocol} is not supported for a domain");
                if (value.Length > 1 && value[0] == '*' && value[1] != '.')
                    errors.Add(at.Field("value"), "provided DNS has incorrect value, partial wildcard is currently not supported");
                if (match.Port is null && value.StartsWith('*') && HttpProtocols.Contains(protocol))
                    errors.Add(at.Field("port"), "wildcard domains doesn't work for all ports and layer 7 protocol");
                var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
                if (!name.StartsWith('*') && !AddressText.IsDnsName(name)) errors.Add(at.Field("value"), "provided DNS has incorrect value");
                break;
            default:
                errors.Add(at.Field("type"), $"provided type {match.Type} is not supported, one of Domain, IP, or CIDR is supported");
                break;
        }
    }
}
