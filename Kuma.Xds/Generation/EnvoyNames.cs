using System.Net;

namespace Kuma.Xds.Generation;

/// <summary>Kuma's 2.x names for generated resources.</summary>
public static class EnvoyNames
{
    public const string InboundPassthroughIpv4 = "inbound:passthrough:ipv4";
    public const string OutboundPassthroughIpv4 = "outbound:passthrough:ipv4";
    public const string InboundPassthroughIpv6 = "inbound:passthrough:ipv6";
    public const string OutboundPassthroughIpv6 = "outbound:passthrough:ipv6";

    public static string Inbound(string address, uint port) => $"inbound:{HostPort(address, port)}";
    public static string Outbound(string address, uint port) => $"outbound:{HostPort(address, port)}";
    public static string LocalCluster(uint servicePort) => $"localhost:{servicePort}";
    public static string InboundRoute(string service) => $"inbound:{service}";
    public static string OutboundRoute(string service) => $"outbound:{service}";

    /// <summary>Stat prefixes keep only characters Envoy's stats accept.</summary>
    public static string Sanitize(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'));

    private static string HostPort(string address, uint port) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]:{port}"
            : $"{address}:{port}";
}
