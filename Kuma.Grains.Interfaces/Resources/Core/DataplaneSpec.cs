using System.Text.Json.Nodes;

namespace Kuma.Resources.Core;

/// <summary>Dataplane fields as Kuma's REST API carries them (top level of the resource JSON).</summary>
public sealed class DataplaneSpec
{
    public DataplaneNetworking? Networking { get; set; }
    public JsonObject? Metrics { get; set; }
    public JsonObject? Probes { get; set; }
}

public sealed class DataplaneNetworking
{
    public string? Address { get; set; }
    public string? AdvertisedAddress { get; set; }
    public DataplaneGateway? Gateway { get; set; }
    public List<DataplaneInbound>? Inbound { get; set; }
    public List<DataplaneOutbound>? Outbound { get; set; }
    public TransparentProxying? TransparentProxying { get; set; }
    public DataplaneAdmin? Admin { get; set; }
    public List<JsonObject>? Listeners { get; set; }
}

public sealed class DataplaneInbound
{
    public uint? Port { get; set; }
    public uint? ServicePort { get; set; }
    public string? ServiceAddress { get; set; }
    public string? Address { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public InboundHealth? Health { get; set; }
    public JsonObject? ServiceProbe { get; set; }
    public string? State { get; set; }
    public string? Name { get; set; }
    public string? Protocol { get; set; }
}

public sealed class InboundHealth
{
    public bool? Ready { get; set; }
}

public sealed class DataplaneOutbound
{
    public uint? Port { get; set; }
    public string? Address { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public OutboundBackendRef? BackendRef { get; set; }
}

public sealed class OutboundBackendRef
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public uint? Port { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
}

public sealed class DataplaneGateway
{
    public Dictionary<string, string>? Tags { get; set; }
    public string? Type { get; set; }
}

public sealed class TransparentProxying
{
    public uint? RedirectPortInbound { get; set; }
    public uint? RedirectPortOutbound { get; set; }
    public List<string>? DirectAccessServices { get; set; }
    public List<string>? ReachableServices { get; set; }
    public string? IpFamilyMode { get; set; }
    public List<JsonObject>? ReachableBackends { get; set; }
}

public sealed class DataplaneAdmin
{
    public uint? Port { get; set; }
}
