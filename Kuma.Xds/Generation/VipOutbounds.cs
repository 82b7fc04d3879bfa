using System.Collections.Immutable;
using Kuma.Resources.Core;

namespace Kuma.Xds.Generation;

/// <summary>
/// Transparent proxying's outbounds to the mesh's services on their VIPs, as Kuma derives them from its VIP view: one
/// per service the dataplane may reach, on the VIP and the service VIP port (80), tagged with the service only, and the
/// names kuma-dp's DNS resolver answers for those VIPs (<c>&lt;service&gt;.mesh</c>, and the same with <c>_</c> turned
/// into <c>.</c> when that differs).
/// </summary>
public static class VipOutbounds
{
    /// <summary>Kuma's <c>dnsServer.serviceVipPort</c>.</summary>
    public const uint ServiceVipPort = 80;

    /// <summary>Kuma's <c>dnsServer.domain</c>.</summary>
    public const string Domain = "mesh";

    /// <summary>
    /// The dataplane's explicit outbounds followed by, for a transparent proxy, its VIP outbounds: those of services in
    /// <c>reachableServices</c> when the list is set, else of every service with a VIP (<c>reachableBackends</c> selects
    /// only MeshService-like backends in Kuma, which never limit these). An explicit outbound on the same VIP and port wins.
    /// </summary>
    public static IEnumerable<DataplaneOutbound> WithVips(MeshContext mesh, DataplaneNetworking net, bool transparent)
    {
        var explicitOutbounds = net.Outbound ?? [];
        foreach (var outbound in explicitOutbounds) yield return outbound;
        if (!transparent) yield break;
        var reachable = net.TransparentProxying?.ReachableServices is { Count: > 0 } services ? services.ToHashSet(StringComparer.Ordinal) : null;
        foreach (var (service, vip) in mesh.Vips.ByService)
        {
            if (!mesh.Endpoints.ContainsKey(service) || (reachable is not null && !reachable.Contains(service))) continue;
            if (explicitOutbounds.Any(o => o.Address == vip && o.Port == ServiceVipPort)) continue;
            yield return new DataplaneOutbound { Address = vip, Port = ServiceVipPort, Tags = new() { [ServiceEndpoint.ServiceTag] = service } };
        }
    }

    /// <summary>
    /// The DNS listener's inputs when the proxy redirects DNS to Envoy (its node reports <c>dataplane.dns.port</c>): the
    /// names of the VIPs some outbound of the proxy listens on, each resolving to the VIP and, unless the proxy is IPv4
    /// only, its IPv4-mapped IPv6 form.
    /// </summary>
    public static DnsInputs? Dns(MeshContext mesh, DataplaneNetworking net, ProxyNode node, IReadOnlySet<string> outboundAddresses)
    {
        if (node.DnsPort == 0 || net.TransparentProxying is not { } tp) return null;
        var ipv6 = SidecarResources.PassthroughIpv6(tp.IpFamilyMode);
        var entries = new SortedDictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        foreach (var (service, vip) in mesh.Vips.ByService)
        {
            if (!outboundAddresses.Contains(vip)) continue;
            ImmutableArray<string> addresses = ipv6 ? [vip, MappedIpv6(vip)] : [vip];
            entries[$"{service}.{Domain}"] = addresses;
            entries[$"{service.Replace('_', '.')}.{Domain}"] = addresses;
        }
        return new DnsInputs(node.DnsPort, [.. entries.Select(e => new DnsEntry(e.Key, e.Value))]);
    }

    /// <summary>An IPv4 address in the IPv4-mapped IPv6 form Kuma writes (<c>::ffff:f000:1</c> for 240.0.0.1).</summary>
    public static string MappedIpv6(string ipv4)
    {
        var b = System.Net.IPAddress.Parse(ipv4).GetAddressBytes();
        return FormattableString.Invariant($"::ffff:{(b[0] << 8) | b[1]:x}:{(b[2] << 8) | b[3]:x}");
    }
}

/// <summary>One name of Envoy's DNS table and the addresses it answers with.</summary>
public sealed record DnsEntry(string Name, ImmutableArray<string> Addresses)
{
    public bool Equals(DnsEntry? other) => other is not null && Name == other.Name && Addresses.AsSpan().SequenceEqual(other.Addresses.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Name, Addresses.Length);
}

/// <summary>Envoy's DNS filter listener of a transparent proxy (Kuma's <c>kuma:dns</c>): its port and its table, in name order.</summary>
public sealed record DnsInputs(uint Port, ImmutableArray<DnsEntry> Entries) : UnitInputs
{
    public bool Equals(DnsInputs? other) => other is not null && Port == other.Port && Entries.AsSpan().SequenceEqual(other.Entries.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Port, Entries.Length);
}
