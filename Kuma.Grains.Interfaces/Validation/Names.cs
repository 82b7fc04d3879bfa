using System.Text.RegularExpressions;

namespace Kuma.Validation;

/// <summary>Name rules for resources, meshes and tenants, with Kuma's wording.</summary>
/// <remarks>Patterns end in <c>\z</c>: <c>$</c> also matches before a final newline, which let <c>a\n</c> through.</remarks>
public static partial class Names
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    /// <summary>Any resource name: a lower-case RFC 1123 subdomain.</summary>
    public static string? CheckResourceName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "cannot be empty";
        if (name.Length > 253) return "value length must less or equal 253";
        return Rfc1123Subdomain().IsMatch(name) ? null
            : "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }

    /// <summary>Meshes and tenants become parts of SPIFFE ids, grain keys and Envoy names: a DNS label.</summary>
    public static string? CheckDnsLabel(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "cannot be empty";
        if (name.Length > 63) return "cannot be longer than 63 characters";
        return DnsLabel().IsMatch(name) ? null
            : "invalid characters. A DNS label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    }
}
