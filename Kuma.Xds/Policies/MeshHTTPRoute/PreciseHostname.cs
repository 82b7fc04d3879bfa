using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Kuma.Validation;

namespace Kuma.Policies.MeshHttpRoute;

/// <summary>A host name for redirects and rewrites: a lowercase DNS subdomain (RFC 1123), never an IP address.</summary>
public static partial class PreciseHostname
{
    public const string NotSubdomain =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z")]
    private static partial Regex Subdomain();

    /// <summary>Dotted quads; leading zeros are allowed, as Kubernetes' lenient IP parser allows them.</summary>
    [GeneratedRegex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}\\z")]
    private static partial Regex DottedQuad();

    public static void Check(string? hostname, FieldPath path, ValidationErrors errors)
    {
        if (hostname is null) return;
        if (IsIpAddress(hostname))
        {
            errors.Add(path, "cannot be an IP address");
            return;
        }
        // Both can be true of one name; Kuma reports both.
        if (hostname.Length > 253) errors.Add(path, "must be no more than 253 characters");
        if (!Subdomain().IsMatch(hostname)) errors.Add(path, NotSubdomain);
    }

    private static bool IsIpAddress(string text)
    {
        if (DottedQuad().IsMatch(text)) return text.Split('.').All(part => int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) <= 255);
        return text.Contains(':') && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }
}
