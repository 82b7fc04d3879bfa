namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// A MeshPassthrough spec: one top-level <c>default</c> for the proxies the targetRef selects, no <c>to</c>,
/// <c>from</c> or <c>rules</c>. An absent <c>default</c> reads as an empty one, as in Kuma, where it is a
/// plain value: such a policy still applies, in the default mode (Matched) with nothing matched.
/// </summary>
public sealed class MeshPassthroughSpec
{
    public TargetRef? TargetRef { get; set; }
    public MeshPassthroughConf Default { get; set; } = new();
}

/// <summary>Which traffic to destinations outside the mesh the outbound passthrough lets through.</summary>
public sealed class MeshPassthroughConf
{
    /// <summary><c>All</c>, <c>Matched</c> (the default) or <c>None</c>; only <c>Matched</c> reads <see cref="AppendMatch"/>.</summary>
    public string? PassthroughMode { get; set; }

    /// <summary>Destinations let through; the lists of every policy that applies are concatenated.</summary>
    public List<PassthroughMatch>? AppendMatch { get; set; }
}

public static class PassthroughModes
{
    public const string All = "All";
    public const string Matched = "Matched";
    public const string None = "None";
}

/// <summary>One destination: a domain, IP or CIDR, optionally on one port, spoken to in one protocol.</summary>
public sealed class PassthroughMatch
{
    /// <summary><c>Domain</c>, <c>IP</c> or <c>CIDR</c>.</summary>
    public string? Type { get; set; }
    public string? Value { get; set; }

    /// <summary>The destination port; none means every port.</summary>
    public uint? Port { get; set; }

    /// <summary>
    /// <c>tcp</c>, <c>tls</c>, <c>grpc</c>, <c>http</c>, <c>http2</c> or <c>mysql</c>. Kuma's API fills in <c>tcp</c>
    /// (its schema's default) before validating and storing, so an absent protocol is stored as <c>tcp</c> here too.
    /// </summary>
    public string? Protocol { get; set; } = "tcp";
}
