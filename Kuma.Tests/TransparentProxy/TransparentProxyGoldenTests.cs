using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Filters.Udp.DnsFilter.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Kuma.Xds.Inspect;

namespace Kuma.Tests.TransparentProxy;

/// <summary>
/// A transparent-proxy dataplane in a mesh of three services: its VIP outbounds (<c>outbound:240.0.0.x:80</c>, not bound
/// to their ports), the services' clusters, and the <c>kuma:dns</c> listener, kept as a reviewed golden file. Refresh
/// after a deliberate change with: KUMA_UPDATE_GOLDEN=1 dotnet test --filter TransparentProxyGoldenTests
/// </summary>
public sealed class TransparentProxyGoldenTests
{
    public const string Web = """
        {"networking":{"address":"10.0.1.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}],
         "transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001}}}
        """;
    public const string Backend = """
        {"networking":{"address":"10.0.0.1","inbound":[{"port":9001,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"http"}}]}}
        """;
    public const string Database = """
        {"networking":{"address":"10.0.0.9","inbound":[{"port":5432,"tags":{"kuma.io/service":"db_prod_svc_5432","kuma.io/protocol":"tcp"}}]}}
        """;

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(
        HttpConnectionManager.Descriptor, Router.Descriptor, TcpProxy.Descriptor, DnsFilterConfig.Descriptor)));

    [Fact]
    public void A_transparent_proxy_gets_an_outbound_per_service_vip_and_the_dns_listener()
    {
        var snapshot = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot([("web-1", Web), ("backend-1", Backend), ("db-1", Database)], generation: 3));
        var config = MeshContext.Build(snapshot).ForProxy("web-1", VipSnapshots.DnsNode());
        var clusters = config.Wildcard(TypeUrls.Cluster).ToList();
        List<XdsResource> resources =
        [
            .. config.Wildcard(TypeUrls.Listener), .. clusters,
            .. clusters.Select(c => config.Find(TypeUrls.ClusterLoadAssignment, c.Name)).OfType<XdsResource>(),
        ];
        Assert.Equal(
            ["inbound:10.0.1.1:8080", "inbound:passthrough:ipv4", "inbound:passthrough:ipv6", "kuma:dns", "outbound:240.0.0.0:80", "outbound:240.0.0.1:80",
             "outbound:240.0.0.2:80", "outbound:passthrough:ipv4", "outbound:passthrough:ipv6"],
            config.Wildcard(TypeUrls.Listener).Select(l => l.Name));
        foreach (var listener in config.Wildcard(TypeUrls.Listener)) Assert.Equal(listener.Payload.Unpack<Listener>(), ParsedBack(listener, Listener.Descriptor));
        var dns = config.Wildcard(TypeUrls.Listener).Single(l => l.Name == "kuma:dns").Payload.Unpack<Listener>();
        Assert.Equal(
            ["backend.mesh", "db.prod.svc.5432.mesh", "db_prod_svc_5432.mesh", "web.mesh"],
            dns.ListenerFilters[0].TypedConfig.Unpack<DnsFilterConfig>().ServerConfig.InlineDnsTable.VirtualDomains.Select(d => d.Name));

        var rendered = new JsonObject();
        foreach (var group in resources.GroupBy(r => TypeUrls.ShortName(r.TypeUrl)))
            rendered[group.Key] = new JsonArray([.. group.Select(ConfigDump.ToJson)]);
        var text = ConfigDump.ToIndentedString(rendered) + "\n";
        var path = Path.Combine(NodeProcess.RepositoryRoot(), "Kuma.Tests", "TransparentProxy", "testdata", "three-services.golden.json");
        if (Environment.GetEnvironmentVariable("KUMA_UPDATE_GOLDEN") == "1") File.WriteAllText(path, text);
        Assert.True(File.Exists(path), $"no golden file {path}: run with KUMA_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), text);
    }

    [Fact]
    public void Without_a_dns_port_in_the_node_there_is_no_dns_listener_and_ipv4_only_proxies_resolve_to_ipv4_alone()
    {
        var ipv4Only = Web.Replace("\"redirectPortOutbound\":15001", "\"redirectPortOutbound\":15001,\"ipFamilyMode\":\"IPv4\"", StringComparison.Ordinal);
        var snapshot = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot([("web-1", ipv4Only), ("backend-1", Backend)]));
        var mesh = MeshContext.Build(snapshot);
        Assert.DoesNotContain(mesh.ForProxy("web-1").Wildcard(TypeUrls.Listener), l => l.Name == "kuma:dns");
        var dns = mesh.ForProxy("web-1", VipSnapshots.DnsNode(53001)).Wildcard(TypeUrls.Listener).Single(l => l.Name == "kuma:dns").Payload.Unpack<Listener>();
        Assert.Equal(53001u, dns.Address.SocketAddress.PortValue);
        var table = dns.ListenerFilters[0].TypedConfig.Unpack<DnsFilterConfig>().ServerConfig.InlineDnsTable.VirtualDomains;
        Assert.Equal([("backend.mesh", "240.0.0.0"), ("web.mesh", "240.0.0.1")], table.Select(d => (d.Name, string.Join(",", d.Endpoint.AddressList.Address))));
    }

    [Fact]
    public void A_dataplane_without_transparent_proxying_gets_no_vip_outbounds()
    {
        var plain = """{"networking":{"address":"10.0.2.1","inbound":[{"port":7000,"tags":{"kuma.io/service":"worker"}}]}}""";
        var snapshot = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot([("worker-1", plain), ("backend-1", Backend)]));
        Assert.Equal(["inbound:10.0.2.1:7000"], MeshContext.Build(snapshot).ForProxy("worker-1", VipSnapshots.DnsNode()).Wildcard(TypeUrls.Listener).Select(l => l.Name));
    }

    [Fact]
    public void Reachable_services_limit_the_vip_outbounds_and_reachable_backends_leave_service_outbounds_alone_as_in_kuma()
    {
        var limited = Web.Replace("\"redirectPortOutbound\":15001", "\"redirectPortOutbound\":15001,\"reachableServices\":[\"backend\"]", StringComparison.Ordinal);
        var backendsOnly = Web.Replace("\"redirectPortOutbound\":15001",
            "\"redirectPortOutbound\":15001,\"reachableBackends\":{\"refs\":[{\"kind\":\"MeshService\",\"name\":\"backend\"}]}", StringComparison.Ordinal);
        var snapshot = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot([("web-1", limited), ("web-2", backendsOnly), ("backend-1", Backend), ("db-1", Database)]));
        var mesh = MeshContext.Build(snapshot);
        // backend 240.0.0.0, db 240.0.0.1, web 240.0.0.2
        Assert.Equal(["outbound:240.0.0.0:80"], Outbounds(mesh.ForProxy("web-1", VipSnapshots.DnsNode())));
        Assert.Equal(["backend"], mesh.ForProxy("web-1").Wildcard(TypeUrls.Cluster).Select(c => c.Name).Where(n => !n.Contains(':', StringComparison.Ordinal)));
        Assert.Equal(["backend.mesh"], DnsNames(mesh.ForProxy("web-1", VipSnapshots.DnsNode())));
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], Outbounds(mesh.ForProxy("web-2")));
    }

    [Fact]
    public void An_explicit_outbound_on_a_vip_and_port_takes_the_place_of_the_generated_one()
    {
        var withOutbound = Web.Replace("\"transparentProxying\"",
            "\"outbound\":[{\"address\":\"240.0.0.0\",\"port\":80,\"tags\":{\"kuma.io/service\":\"backend\",\"version\":\"v1\"}}],\"transparentProxying\"", StringComparison.Ordinal);
        var snapshot = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot([("web-1", withOutbound), ("backend-1", Backend)]));
        var config = MeshContext.Build(snapshot).ForProxy("web-1");
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80"], Outbounds(config));
        var listener = config.Wildcard(TypeUrls.Listener).Single(l => l.Name == "outbound:240.0.0.0:80").Payload.Unpack<Listener>();
        Assert.Equal("v1", listener.Metadata.FilterMetadata["io.kuma.tags"].Fields["version"].StringValue);
    }

    private static List<string> Outbounds(ProxyConfig config) =>
        [.. config.Wildcard(TypeUrls.Listener).Select(l => l.Name).Where(n => n.StartsWith("outbound:240.", StringComparison.Ordinal))];

    private static List<string> DnsNames(ProxyConfig config) =>
        [.. config.Wildcard(TypeUrls.Listener).Single(l => l.Name == "kuma:dns").Payload.Unpack<Listener>()
            .ListenerFilters[0].TypedConfig.Unpack<DnsFilterConfig>().ServerConfig.InlineDnsTable.VirtualDomains.Select(d => d.Name)];

    private static IMessage ParsedBack(XdsResource resource, MessageDescriptor descriptor)
    {
        var json = ConfigDump.ToJson(resource).AsObject();
        json.Remove("@type");
        return Parser.Parse(json.ToJsonString(), descriptor);
    }
}
