using System.Collections.Immutable;

namespace Kuma.Policies.Rules;

/// <summary>
/// What matching needs to know about one proxy. Proxies with equal facts get equal results, so callers can
/// compute once per group of look-alike proxies.
/// </summary>
/// <param name="Name">Dataplane name, compared with a Dataplane targetRef's <c>name</c>.</param>
/// <param name="Labels">Dataplane resource labels, compared with a Dataplane targetRef's <c>labels</c>.</param>
/// <param name="ProxyType"><c>Sidecar</c> or <c>Gateway</c> (any proxy with <c>networking.gateway</c>).</param>
public sealed record ProxyFacts(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    ImmutableArray<InboundFacts> Inbounds,
    string ProxyType)
{
    public const string Sidecar = "Sidecar";
    public const string Gateway = "Gateway";

    /// <summary>
    /// <c>networking.gateway.tags</c> of a delegated gateway; tag selectors are tried against them, and a
    /// match selects the proxy even though it has no inbounds.
    /// </summary>
    public IReadOnlyDictionary<string, string>? DelegatedGatewayTags { get; init; }

    /// <summary>
    /// Name of the MeshGateway a builtin gateway serves (its listeners are then given as <see cref="Inbounds"/>,
    /// tagged with dataplane, MeshGateway and listener tags merged). Null for everything else.
    /// </summary>
    public string? BuiltinGatewayName { get; init; }
}

/// <param name="Name">The inbound's <c>name</c>; empty when unnamed (Kuma then uses the port as its section name).</param>
public sealed record InboundFacts(string Name, uint Port, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>What a Dataplane targetRef's <c>sectionName</c> is compared with.</summary>
    public string SectionName => Name.Length > 0 ? Name : Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
