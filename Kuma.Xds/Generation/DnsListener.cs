using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Data.Dns.V3;
using Envoy.Extensions.Filters.Udp.DnsFilter.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Xds.Generation;

/// <summary>The UDP listener on 127.0.0.1 that answers the DNS queries kuma-dp redirects to Envoy, as Kuma builds it.</summary>
internal static class DnsListener
{
    public const string Name = "kuma:dns";
    public const string FilterName = "envoy.filters.udp.dns_filter";

    public static Listener Build(DnsInputs inputs)
    {
        var table = new DnsTable();
        foreach (var entry in inputs.Entries)
        {
            table.VirtualDomains.Add(new DnsTable.Types.DnsVirtualDomain
            {
                Name = entry.Name,
                Endpoint = new DnsTable.Types.DnsEndpoint { AddressList = new DnsTable.Types.AddressList { Address = { entry.Addresses } } },
                AnswerTtl = EnvoyBuild.Seconds(30),
            });
        }
        var filter = new DnsFilterConfig
        {
            StatPrefix = "kuma_dns",
            ServerConfig = new DnsFilterConfig.Types.ServerContextConfig { InlineDnsTable = table },
        };
        var address = EnvoyBuild.SocketAddress("127.0.0.1", inputs.Port);
        address.SocketAddress.Protocol = SocketAddress.Types.Protocol.Udp;
        return new Listener
        {
            Name = Name,
            Address = address,
            TrafficDirection = TrafficDirection.Inbound,
            // As Kuma's inbound listener builder sets it for any UDP listener.
            EnableReusePort = true,
            ListenerFilters = { new ListenerFilter { Name = FilterName, TypedConfig = Any.Pack(filter) } },
        };
    }
}
