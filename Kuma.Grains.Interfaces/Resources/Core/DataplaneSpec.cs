using System.Text.Json.Nodes;

namespace Kuma.Resources.Core;

/// <summary>Dataplane fields as Kuma's REST API carries them (top level of the resource JSON).</summary>
public sealed class DataplaneSpec
{
    public DataplaneNetworking? Networking { get; set; }
    public DataplaneMetrics? Metrics { get; set; }
    public DataplaneProbes? Probes { get; set; }
}

/// <summary>A per-dataplane metrics backend; <c>conf</c> is the backend's own settings.</summary>
public sealed class DataplaneMetrics
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public JsonObject? Conf { get; set; }
}

/// <summary>Virtual probes: HTTP paths kuma-dp serves on <c>port</c> and forwards to an inbound's own path.</summary>
public sealed class DataplaneProbes
{
    public uint? Port { get; set; }
    public List<ProbeEndpoint>? Endpoints { get; set; }
}

public sealed class ProbeEndpoint
{
    public uint? InboundPort { get; set; }
    public string? InboundPath { get; set; }
    public string? Path { get; set; }
}

/// <summary>A zone proxy listener embedded in a dataplane (ZoneIngress or ZoneEgress).</summary>
public sealed class DataplaneListener
{
    public string? Type { get; set; }
    public string? Address { get; set; }
    public uint? Port { get; set; }
    public string? Name { get; set; }
    public string? State { get; set; }
}

public sealed class ServiceProbe
{
    public string? Interval { get; set; }
    public string? Timeout { get; set; }
    public uint? UnhealthyThreshold { get; set; }
    public uint? HealthyThreshold { get; set; }
    public JsonObject? Tcp { get; set; }
}

public sealed class ReachableBackends
{
    public List<ReachableBackendRef>? Refs { get; set; }
}

public sealed class ReachableBackendRef
{
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public uint? Port { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
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
    public List<DataplaneListener>? Listeners { get; set; }
}

public sealed class DataplaneInbound
{
    public uint? Port { get; set; }
    public uint? ServicePort { get; set; }
    public string? ServiceAddress { get; set; }
    public string? Address { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public InboundHealth? Health { get; set; }
    public ServiceProbe? ServiceProbe { get; set; }
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
    public ReachableBackends? ReachableBackends { get; set; }
}

public sealed class DataplaneAdmin
{
    public uint? Port { get; set; }
}
