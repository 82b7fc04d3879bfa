namespace Kuma.Policies;

/// <summary>Selects proxies or destinations in Kuma's targetRef model.</summary>
public sealed class TargetRef
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public string? Mesh { get; set; }
    public string? SectionName { get; set; }
    public List<string>? ProxyTypes { get; set; }
}

public static class TargetRefKinds
{
    public const string Mesh = "Mesh";
    public const string MeshSubset = "MeshSubset";
    public const string MeshService = "MeshService";
    public const string MeshServiceSubset = "MeshServiceSubset";
    public const string MeshExternalService = "MeshExternalService";
    public const string MeshMultiZoneService = "MeshMultiZoneService";
    public const string MeshGateway = "MeshGateway";
    public const string MeshHTTPRoute = "MeshHTTPRoute";
    public const string Dataplane = "Dataplane";

    public static readonly string[] All =
        [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshExternalService, MeshMultiZoneService, MeshGateway, MeshHTTPRoute, Dataplane];
}
