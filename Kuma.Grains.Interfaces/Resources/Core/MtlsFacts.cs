using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kuma.Resources.Core;

/// <summary>Kuma's names and defaults for a mesh's mTLS backends, and what a Mesh spec says about them.</summary>
public static partial class MtlsFacts
{
    public const string BuiltinType = "builtin";
    public const string ProvidedType = "provided";
    public const string PermissiveMode = "PERMISSIVE";

    /// <summary>Kuma's lifetime of a dataplane certificate when <c>dpCert.rotation.expiration</c> is not set.</summary>
    public static readonly TimeSpan DefaultDpCertLifetime = TimeSpan.FromHours(24);

    /// <summary>Kuma's lifetime of a builtin CA certificate when <c>caCert.expiration</c> is not set.</summary>
    public static readonly TimeSpan DefaultCaCertLifetime = TimeSpan.FromDays(10 * 365);

    /// <summary>Certificates start this much before they are made, so a peer whose clock is a little behind accepts them.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromSeconds(10);

    public static string BuiltinCertSecretName(string mesh, string backend) => $"{mesh}.ca-builtin-cert-{backend}";

    public static string BuiltinKeySecretName(string mesh, string backend) => $"{mesh}.ca-builtin-key-{backend}";

    /// <summary>The SDS name of a proxy's own certificate chain and key.</summary>
    public static string IdentityCertSecretName(string mesh) => $"identity_cert:secret:{mesh}";

    /// <summary>The SDS name of the CA bundle a proxy validates its mesh peers with.</summary>
    public static string MeshCaSecretName(string mesh) => $"mesh_ca:secret:{mesh}";

    /// <summary>The backend that issues certificates, or null when mTLS is off (no enabled backend, or it names none).</summary>
    public static MeshCaBackend? EnabledBackend(MeshSpec spec) =>
        spec.Mtls is { EnabledBackend: { Length: > 0 } enabled, Backends: { } backends }
            ? backends.FirstOrDefault(b => b.Name == enabled)
            : null;

    public static bool IsPermissive(MeshCaBackend backend) => backend.Mode == PermissiveMode;

    /// <summary>How long a dataplane certificate of this backend lives; a zero or unreadable value keeps Kuma's default.</summary>
    public static TimeSpan DpCertLifetime(MeshCaBackend backend) =>
        backend.DpCert?["rotation"]?["expiration"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && TryParseDuration(v.GetValue<string>(), out var lifetime) && lifetime > TimeSpan.Zero
            ? lifetime
            : DefaultDpCertLifetime;

    [GeneratedRegex(@"^(\d+)(y|w|d|h|m|s|ms)\z")]
    private static partial Regex MeshDuration();

    /// <summary>
    /// Kuma's Mesh durations: a whole number and one unit of y (365 days), w, d, h, m, s or ms; "0" alone is zero.
    /// Not Go's duration syntax: "1h30m" is refused.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text == "0") return true;
        if (text is null || MeshDuration().Match(text) is not { Success: true } match) return false;
        if (!long.TryParse(match.Groups[1].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return false;
        var unit = match.Groups[2].Value switch
        {
            "y" => TimeSpan.FromDays(365),
            "w" => TimeSpan.FromDays(7),
            "d" => TimeSpan.FromDays(1),
            "h" => TimeSpan.FromHours(1),
            "m" => TimeSpan.FromMinutes(1),
            "s" => TimeSpan.FromSeconds(1),
            _ => TimeSpan.FromMilliseconds(1),
        };
        if (n > TimeSpan.MaxValue.Ticks / unit.Ticks) return false;
        value = TimeSpan.FromTicks(n * unit.Ticks);
        return true;
    }
}
