using System.Collections.Immutable;
using System.Net;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Validation;

namespace Kuma.Vips;

/// <summary>
/// Kuma's VIP allocation for the services of one mesh (<c>dnsServer.CIDR</c>, 240.0.0.0/4 by default). A service keeps the
/// VIP it holds while that VIP lies in the range; a new service gets the lowest address of the range no service holds,
/// services taken in name order, so the result is a function of the stored table and the mesh's services. A service
/// no dataplane declares any more loses its entry, and its address is free for the next one, as in Kuma.
/// </summary>
public sealed class VipAllocator(string cidr = VipAllocator.DefaultCidr)
{
    public const string DefaultCidr = "240.0.0.0/4";

    /// <summary>Kuma's reserved inbound port (an inbound on it declares no service endpoint).</summary>
    private const uint ReservedPort = 49151;

    private readonly (uint First, uint Last) _range = Range(cidr);

    /// <summary>The services a VIP is allocated for: those of the mesh's dataplanes' inbounds that are not ignored.</summary>
    public static ImmutableSortedSet<string> Services(MeshSnapshot snapshot) =>
        Services(snapshot, static resource => ServicesOf(resource.SpecJson));

    /// <summary>As <see cref="Services(MeshSnapshot)"/>, with each dataplane's services from <paramref name="servicesOf"/> (a cache).</summary>
    public static ImmutableSortedSet<string> Services(MeshSnapshot snapshot, Func<StoredResource, IReadOnlyList<string>> servicesOf)
    {
        var services = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var resource in snapshot.OfType(ResourceTypes.Dataplane.Name)) services.UnionWith(servicesOf(resource));
        return services.ToImmutable();
    }

    /// <summary>The services one dataplane's inbounds declare, counting neither ignored inbounds nor the reserved port.</summary>
    public static IReadOnlyList<string> ServicesOf(string dataplaneSpecJson)
    {
        var services = new List<string>();
        foreach (var inbound in ResourceTypes.Dataplane.Parse(dataplaneSpecJson).Networking?.Inbound ?? [])
        {
            if (inbound.State == "Ignored" || inbound.Port == ReservedPort) continue;
            if (inbound.Tags?.GetValueOrDefault(TagRules.ServiceTag) is { Length: > 0 } service) services.Add(service);
        }
        return services;
    }

    /// <summary>The table for <paramref name="services"/>, starting from what <paramref name="current"/> holds.</summary>
    /// <exception cref="InvalidOperationException">The range has no free address left.</exception>
    public MeshVips Allocate(MeshVips current, IEnumerable<string> services)
    {
        var wanted = services.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var table = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var held = new SortedSet<uint>();
        foreach (var service in wanted)
        {
            if (current.ByService.TryGetValue(service, out var vip) && InRange(vip) is { } address && held.Add(address)) table[service] = vip;
        }
        var next = _range.First;
        foreach (var service in wanted)
        {
            if (table.ContainsKey(service)) continue;
            while (held.Contains(next))
            {
                if (next == _range.Last) throw new InvalidOperationException($"no VIP left in {cidr}");
                next++;
            }
            held.Add(next);
            table[service] = Format(next);
        }
        return new MeshVips(table.ToImmutable());
    }

    private uint? InRange(string vip) =>
        IPAddress.TryParse(vip, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        && ToUInt(ip) is var value && value >= _range.First && value <= _range.Last ? value : null;

    private static (uint First, uint Last) Range(string cidr)
    {
        var parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var bits) || bits is < 0 or > 32)
            throw new ArgumentException($"'{cidr}' is not an IPv4 CIDR", nameof(cidr));
        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        var first = ToUInt(ip) & mask;
        return (first, first | ~mask);
    }

    private static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3];
    }

    private static string Format(uint value) => $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}";
}
