using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// IPs, CIDRs and domain names read as strictly as Kuma reads them (Go's parser and the DNS-name pattern of the
/// validator library Kuma uses): .NET's own parser also takes shorthand like "10.1" or hex fields, which Kuma refuses.
/// </summary>
public static partial class AddressText
{
    public static bool IsIp(string? value) => Parse(value) is not null;

    /// <summary>An IP written with colons (Kuma tells IPv6 apart by the text, so an IPv4-mapped address counts).</summary>
    public static bool IsIpv6(string? value) => IsIp(value) && value!.Contains(':', StringComparison.Ordinal);

    public static bool IsCidr(string? value) => ParseCidr(value) is not null;

    /// <summary>The network of a CIDR (its address with the host bits cleared) and its prefix length, or null.</summary>
    public static (string Network, uint PrefixLength)? ParseCidr(string? value)
    {
        if (value is null) return null;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || Parse(value[..slash]) is not { } address) return null;
        var bits = value[(slash + 1)..];
        var width = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!IsDecimal(bits, maxDigits: 3) || !int.TryParse(bits, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > width)
            return null;
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return (new IPAddress(bytes).ToString(), (uint)prefix);
    }

    /// <summary>A DNS name as Kuma's validator accepts it: labels of letters, digits, '_' and '-', not an IP.</summary>
    public static bool IsDnsName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Replace(".", "", StringComparison.Ordinal).Length <= 255 && !IsIp(value) && DnsName().IsMatch(value);

    [GeneratedRegex(@"^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?$")]
    private static partial Regex DnsName();

    private static IPAddress? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (!value.Contains(':', StringComparison.Ordinal)) return ParseDottedQuad(value);
        // Zones, brackets and anything but hex digits, colons and an embedded dotted quad are not addresses to Kuma.
        if (value.Any(c => !(char.IsAsciiHexDigit(c) || c is ':' or '.'))) return null;
        if (value.Contains('.', StringComparison.Ordinal) && ParseDottedQuad(value[(value.LastIndexOf(':') + 1)..]) is null) return null;
        return IPAddress.TryParse(value, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? address : null;
    }

    /// <summary>Four decimal fields of at most 255 without leading zeros.</summary>
    private static IPAddress? ParseDottedQuad(string value)
    {
        var fields = value.Split('.');
        if (fields.Length != 4) return null;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (!IsDecimal(fields[i], maxDigits: 3) || !byte.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i])) return null;
        }
        return new IPAddress(bytes);
    }

    private static bool IsDecimal(string text, int maxDigits) =>
        text.Length is > 0 && text.Length <= maxDigits && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0');
}
