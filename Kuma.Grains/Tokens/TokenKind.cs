using Kuma.Grains;

namespace Kuma.Tokens;

/// <summary>
/// The kinds of token the cluster signs, each with a key of its own, so a token of one kind can never
/// pass for the other (their key ids differ, and so do their keys).
/// </summary>
internal sealed record TokenKind(string SigningKeyName, string KeyId, string? Type)
{
    private static readonly TokenKind Users = new(SigningKeys.UserTokenKeyName(1), "1", null);
    private static readonly TokenKind Dataplanes = new("dataplane-token-signing-key-1", "dp-1", "dataplane");

    public static TokenKind Of(string grainKey) => grainKey switch
    {
        ITokenIssuerGrain.UserTokens => Users,
        ITokenIssuerGrain.DataplaneTokens => Dataplanes,
        _ => throw new ArgumentException($"no token kind {grainKey}", nameof(grainKey)),
    };
}
