namespace Kuma.Policies.MeshAccessLog;

/// <summary>
/// Kuma's access-log placeholders, filled in two steps so that listeners stay shared between proxies: what a unit
/// knows (traffic direction, the outbound's service, the inbound's unknown caller) when the listener is built, and
/// what only the proxy knows (its mesh, address and service, its kuma-dp socket, the collector clusters' names) in
/// the proxy-wide step (<see cref="MeshAccessLogPlugin.ProxyResources"/>). Each step replaces in Kuma's order.
/// </summary>
public static class Placeholders
{
    public const string SourceAddress = "%KUMA_SOURCE_ADDRESS%";
    public const string SourceAddressWithoutPort = "%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%";
    public const string SourceService = "%KUMA_SOURCE_SERVICE%";
    public const string DestinationService = "%KUMA_DESTINATION_SERVICE%";
    public const string Mesh = "%KUMA_MESH%";
    public const string TrafficDirection = "%KUMA_TRAFFIC_DIRECTION%";
    public const string Zone = "%KUMA_ZONE%";
    public const string Workload = "%KUMA_WORKLOAD%";

    /// <summary>Every placeholder left for the proxy-wide step starts so; a listener without it needs no second step.</summary>
    public const string Marker = "%KUMA_";

    /// <summary>Stands for the proxy's kuma-dp access-log socket until the proxy-wide step names it.</summary>
    public const string AccessLogSocket = "%KUMA_ACCESS_LOG_SOCKET%";

    /// <summary>Prefixes a collector's <c>host:port</c> until the proxy-wide step gives its cluster Kuma's numbered name.</summary>
    public const string CollectorCluster = "%KUMA_OTEL_COLLECTOR%";

    /// <summary>
    /// What a unit fills in. The proxy's identifying service is the source of outbound traffic and the destination
    /// of inbound traffic; an inbound's destination becomes <see cref="SourceService"/>'s placeholder after the
    /// caller's (unknown) was filled, so the proxy-wide step fills both directions with one value.
    /// </summary>
    public static string FillUnit(string format, UnitValues values)
    {
        if (values.Inbound)
        {
            format = format.Replace(SourceService, UnknownService, StringComparison.Ordinal)
                .Replace(DestinationService, SourceService, StringComparison.Ordinal);
        }
        else
        {
            format = format.Replace(DestinationService, values.Destination, StringComparison.Ordinal);
        }
        return format.Replace(TrafficDirection, values.Inbound ? "INBOUND" : "OUTBOUND", StringComparison.Ordinal);
    }

    /// <summary>What the proxy-wide step fills in.</summary>
    public static string FillProxy(string format, ProxyValues values)
    {
        if (!format.Contains(Marker, StringComparison.Ordinal)) return format;
        return format.Replace(SourceAddress, values.AddressWithPort, StringComparison.Ordinal)
            .Replace(SourceAddressWithoutPort, values.Address, StringComparison.Ordinal)
            .Replace(SourceService, values.Service, StringComparison.Ordinal)
            .Replace(Mesh, values.Mesh, StringComparison.Ordinal)
            .Replace(Zone, values.Zone, StringComparison.Ordinal)
            .Replace(Workload, values.Workload, StringComparison.Ordinal);
    }

    /// <summary>Kuma's name for a caller or service it cannot tell.</summary>
    public const string UnknownService = "unknown";
}

/// <summary>What a listener unit knows: its direction and, outbound, the service it sends to.</summary>
public readonly record struct UnitValues(bool Inbound, string Destination);

/// <summary>
/// What the proxy-wide step knows. <paramref name="Zone"/> and <paramref name="Workload"/> come from Dataplane labels
/// in Kuma (<c>kuma.io/zone</c>, <c>kuma.io/workload</c>), which this control plane does not set: they stay empty.
/// </summary>
public sealed record ProxyValues(string Mesh, string Address, string Service, string SocketPath, string Zone = "", string Workload = "")
{
    /// <summary>Kuma writes the caller's address with port 0.</summary>
    public string AddressWithPort => Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]:0" : $"{Address}:0";
}
