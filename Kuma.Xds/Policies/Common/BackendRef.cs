namespace Kuma.Policies;

/// <summary>Where a route sends traffic: a targetRef to a service plus its share and port.</summary>
public sealed class BackendRef
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public string? Mesh { get; set; }
    public string? SectionName { get; set; }
    public List<string>? ProxyTypes { get; set; }
    /// <summary>Relative share of traffic; Kuma treats an unset weight as 1.</summary>
    public uint? Weight { get; set; }
    public uint? Port { get; set; }

    /// <summary>The selecting part, so the shared targetRef checks apply unchanged.</summary>
    public TargetRef AsTargetRef() => new()
    {
        Kind = Kind,
        Name = Name,
        Namespace = Namespace,
        Labels = Labels,
        Tags = Tags,
        Mesh = Mesh,
        SectionName = SectionName,
        ProxyTypes = ProxyTypes,
    };
}
