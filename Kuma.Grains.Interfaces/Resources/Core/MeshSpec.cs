using System.Text.Json.Nodes;

namespace Kuma.Resources.Core;

/// <summary>Mesh fields at the top level of the resource JSON. Backend <c>conf</c> blocks are free-form, as in Kuma.</summary>
public sealed class MeshSpec
{
    public MeshMtls? Mtls { get; set; }
    public MeshBackends? Tracing { get; set; }
    public MeshBackends? Logging { get; set; }
    public MeshMetrics? Metrics { get; set; }
    public MeshNetworking? Networking { get; set; }
    public MeshRouting? Routing { get; set; }
    public MeshConstraints? Constraints { get; set; }
    public MeshServicesSettings? MeshServices { get; set; }
    public List<string>? SkipCreatingInitialPolicies { get; set; }
}

public sealed class MeshMtls
{
    public string? EnabledBackend { get; set; }
    public List<MeshCaBackend>? Backends { get; set; }
    public bool? SkipValidation { get; set; }
}

public sealed class MeshCaBackend
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public string? Mode { get; set; }
    public JsonObject? DpCert { get; set; }
    public JsonObject? Conf { get; set; }
    public JsonObject? RootChain { get; set; }
}

public sealed class MeshBackends
{
    public string? DefaultBackend { get; set; }
    public List<MeshBackend>? Backends { get; set; }
}

public sealed class MeshMetrics
{
    public string? EnabledBackend { get; set; }
    public List<MeshBackend>? Backends { get; set; }
}

public sealed class MeshBackend
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public string? Format { get; set; }
    public double? Sampling { get; set; }
    public JsonObject? Conf { get; set; }
}

public sealed class MeshNetworking
{
    public MeshOutboundNetworking? Outbound { get; set; }
}

public sealed class MeshOutboundNetworking
{
    public bool? Passthrough { get; set; }
}

public sealed class MeshRouting
{
    public bool? LocalityAwareLoadBalancing { get; set; }
    public bool? ZoneEgress { get; set; }
    public bool? DefaultForbidMeshExternalServiceAccess { get; set; }
}

public sealed class MeshConstraints
{
    public DataplaneProxyConstraints? DataplaneProxy { get; set; }
}

public sealed class DataplaneProxyConstraints
{
    public List<TagSelector>? Requirements { get; set; }
    public List<TagSelector>? Restrictions { get; set; }
}

public sealed class TagSelector
{
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed class MeshServicesSettings
{
    public string? Mode { get; set; }
}
