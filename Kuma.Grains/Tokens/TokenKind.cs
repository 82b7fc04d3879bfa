using System.Globalization;
using Kuma.Grains;

namespace Kuma.Tokens;

/// <summary>
/// The kinds of token the cluster signs, each with keys of its own, so a token of one kind can never pass
/// for the other. A kind's keys are secrets named <c>&lt;prefix&gt;&lt;serial&gt;</c>; a token names its key in
/// <c>kid</c>: the serial for user tokens (as Kuma), <c>dp-&lt;serial&gt;</c> for dataplane tokens.
/// </summary>
internal sealed record TokenKind(string SigningKeyPrefix, string KeyIdPrefix, string? Type)
{
    private static readonly TokenKind Users = new(SigningKeys.UserTokenKeyPrefix, "", null);
    private static readonly TokenKind Dataplanes = new(SigningKeys.DataplaneTokenKeyPrefix, "dp-", "dataplane");

    public static TokenKind Of(string grainKey) => grainKey switch
    {
        ITokenIssuerGrain.UserTokens => Users,
        ITokenIssuerGrain.DataplaneTokens => Dataplanes,
        _ => throw new ArgumentException($"no token kind {grainKey}", nameof(grainKey)),
    };

    public string KeyName(int serial) => SigningKeyPrefix + serial.ToString(CultureInfo.InvariantCulture);

    public string KeyId(int serial) => KeyIdPrefix + serial.ToString(CultureInfo.InvariantCulture);

    /// <summary>The serial of a secret of this kind, or null for any other name.</summary>
    public int? SerialOfName(string name) => ParseSerial(name, SigningKeyPrefix);

    public int? SerialOfKeyId(string keyId) => ParseSerial(keyId, KeyIdPrefix);

    private static int? ParseSerial(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var serial) && serial > 0
        && text.Length - prefix.Length == serial.ToString(CultureInfo.InvariantCulture).Length
            ? serial
            : null;
}
