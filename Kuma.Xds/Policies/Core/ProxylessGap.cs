namespace Kuma.Policies;

/// <summary>
/// A part of a policy entry that a proxyless gRPC client does not get, and why.
/// </summary>
/// <param name="Field">
/// Where it sits in the entry, in the spec's JSON names with <c>[]</c> for list items: <c>default.idleTimeout</c>,
/// <c>rules[].default.filters[].requestHeaderModifier</c>.
/// </param>
public sealed record ProxylessGap(string Field, string Reason)
{
    /// <summary>Gaps of a field that is set: one when <paramref name="value"/> is not null.</summary>
    public static IEnumerable<ProxylessGap> IfSet(object? value, string field, string reason) =>
        value is null ? [] : [new ProxylessGap(field, reason)];
}
