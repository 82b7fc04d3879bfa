using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Sidecar;

/// <summary>What the admin listener lets through, where virtual probes go, and who gets neither.</summary>
public sealed class AdminListenerTests
{
    private const string Web = """
        {"networking":{"address":"192.168.0.1","inbound":[{"port":1234,"tags":{"kuma.io/service":"web"}}]}}
        """;

    private const string WithProbes = """
        {"networking":{"address":"192.168.0.2","inbound":[
           {"port":18080,"servicePort":8080,"tags":{"kuma.io/service":"backend","kuma.io/protocol":"http"}},
           {"port":19090,"servicePort":9090,"tags":{"kuma.io/service":"backend-admin"}}],
         "transparentProxying":{"redirectPortInbound":15006,"redirectPortOutbound":15001}},
         "probes":{"port":9000,"endpoints":[
           {"inboundPort":8080,"inboundPath":"/healthz","path":"/8080/healthz"},
           {"inboundPort":9090,"inboundPath":"/live?verbose=1","path":"/9090/live"},
           {"inboundPort":7070,"inboundPath":"/gone","path":"/7070/gone"}]}}
        """;

    private static ProxyNode Node(string metadataJson) => ProxyNode.Of(Struct.Parser.ParseJson(metadataJson));

    private static readonly ProxyNode KumaDp = Node("""
        {"dataplane.admin.port":"9901","dataplane.admin.address":"127.0.0.1","dataplane.readinessReporter.port":"9902","ipv6Enabled":false}
        """);

    private static MeshContext Mesh() => InProcessMesh.Build([("web-1", Web), ("backend-1", WithProbes)]);

    private static RouteConfiguration RouteTable(ProxyConfig config, string listener) =>
        config.Find(TypeUrls.Listener, listener)!.Payload.Unpack<Listener>()
            .FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>().RouteConfig;

    /// <summary>The route Envoy picks for a GET of <paramref name="path"/>: the first whose path or prefix matches.</summary>
    private static Route? Pick(RouteConfiguration table, string path) =>
        table.VirtualHosts.Single().Routes.FirstOrDefault(r => r.Match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => path.StartsWith(r.Match.Prefix, StringComparison.Ordinal),
            RouteMatch.PathSpecifierOneofCase.Path => path == r.Match.Path,
            _ => throw new InvalidOperationException($"unexpected match {r.Match}"),
        } && r.Match.Headers.All(h => h.Name == ":method" && h.StringMatch.Exact == "GET"));

    [Fact]
    public void The_admin_listener_lets_through_only_ready_and_sends_it_to_the_readiness_reporter()
    {
        var table = RouteTable(Mesh().ForProxy("web-1", KumaDp), AdminResources.AdminName);
        string[] adminPaths =
        [
            "/ready", "/", "/stats", "/stats/prometheus", "/config_dump", "/config_dump?include_eds", "/quitquitquit",
            "/clusters", "/listeners", "/logging", "/runtime", "/runtime_modify", "/healthcheck/fail", "/drain_listeners",
            "/certs", "/server_info", "/memory", "/reset_counters", "/heap_dump", "/init_dump",
        ];

        var routed = adminPaths.Select(p => (Path: p, Target: Pick(table, p) is { } r ? $"{r.Route_.Cluster} {r.Route_.PrefixRewrite}" : null)).ToList();

        Assert.Equal(adminPaths.Select(p => (p, p == "/ready" ? "kuma:readiness /ready" : null)), routed);
        Assert.DoesNotContain(AdminResources.AdminName, table.VirtualHosts.SelectMany(v => v.Routes).Select(r => r.Route_?.Cluster));
    }

    [Fact]
    public void The_admin_listener_has_one_plaintext_chain_on_the_dataplane_address_and_the_admin_cluster_stays_on_loopback()
    {
        var config = Mesh().ForProxy("web-1", KumaDp);
        var listener = config.Find(TypeUrls.Listener, AdminResources.AdminName)!.Payload.Unpack<Listener>();
        var admin = config.Find(TypeUrls.Cluster, AdminResources.AdminName)!.Payload.Unpack<Envoy.Config.Cluster.V3.Cluster>();
        var readiness = config.Find(TypeUrls.Cluster, AdminResources.ReadinessCluster)!.Payload.Unpack<Envoy.Config.Cluster.V3.Cluster>();

        Assert.Equal(("192.168.0.1", 9901u), (listener.Address.SocketAddress.Address, listener.Address.SocketAddress.PortValue));
        Assert.Equal([(null, false)], listener.FilterChains.Select(c => (c.TransportSocket?.Name, c.FilterChainMatch is not null)));
        Assert.Empty(listener.ListenerFilters);
        Assert.Equal([("127.0.0.1", 32u)], RouteHcm(listener).InternalAddressConfig.CidrRanges.Select(c => (c.AddressPrefix, c.PrefixLen ?? 0)));
        Assert.Equal(("127.0.0.1", 9901u), Only(admin));
        Assert.Equal(("127.0.0.1", 9902u), Only(readiness));

        static HttpConnectionManager RouteHcm(Listener l) => l.FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>();
        static (string, uint) Only(Envoy.Config.Cluster.V3.Cluster c)
        {
            var address = c.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress;
            return (address.Address, address.PortValue);
        }
    }

    [Fact]
    public void Probes_reach_the_local_cluster_of_their_inbound_with_the_application_path()
    {
        var config = Mesh().ForProxy("backend-1");
        var probe = config.Find(TypeUrls.Listener, ProbeResources.ListenerName)!.Payload.Unpack<Listener>();
        var table = RouteTable(config, ProbeResources.ListenerName);

        string[] paths = ["/8080/healthz", "/9090/live", "/7070/gone", "/8080/other"];
        var routes = paths.Select(path => Pick(table, path) switch
        {
            null => (path, "no route"),
            { Redirect: { } r } => (path, $"redirect :{r.PortRedirect}{r.PathRedirect}"),
            { Route_: { } a } => (path, $"{a.Cluster} {a.RegexRewrite.Pattern.Regex} -> {a.RegexRewrite.Substitution}"),
            _ => throw new InvalidOperationException(path),
        }).ToList();

        Assert.Equal(
        [
            ("/8080/healthz", "localhost:8080 .* -> /healthz"),
            ("/9090/live", "localhost:9090 .* -> /live"),
            ("/7070/gone", "redirect :7070/gone"),
            ("/8080/other", "no route"),
        ], routes);
        // The clusters the probe routes name are the inbounds' own local clusters.
        Assert.Subset(config.Wildcard(TypeUrls.Cluster).Select(c => c.Name).ToHashSet(), new HashSet<string> { "localhost:8080", "localhost:9090" });
        Assert.Equal(("192.168.0.2", 9000u, false), (probe.Address.SocketAddress.Address, probe.Address.SocketAddress.PortValue, probe.BindToPort));
    }

    [Fact]
    public void Only_what_the_node_reports_and_the_dataplane_declares_is_generated()
    {
        var mesh = Mesh();
        string Names(string dataplane, ProxyNode? node)
        {
            var config = mesh.ForProxy(dataplane, node);
            return string.Join(" ", config.Wildcard(TypeUrls.Listener).Select(r => r.Name)) + " | " + string.Join(" ", config.Wildcard(TypeUrls.Cluster).Select(r => r.Name));
        }

        const string backend = "inbound:192.168.0.2:18080 inbound:192.168.0.2:19090 inbound:passthrough:ipv4 inbound:passthrough:ipv6 "
            + "outbound:passthrough:ipv4 outbound:passthrough:ipv6{0} | inbound:passthrough:ipv4 inbound:passthrough:ipv6 localhost:8080 "
            + "localhost:9090 outbound:passthrough:ipv4 outbound:passthrough:ipv6";
        Assert.Equal("inbound:192.168.0.1:1234 | localhost:1234", Names("web-1", null));
        Assert.Equal("inbound:192.168.0.1:1234 kuma:envoy:admin | kuma:envoy:admin kuma:readiness localhost:1234", Names("web-1", KumaDp));
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, backend, " probe:listener"), Names("backend-1", null));
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, backend, ""), Names("backend-1", Node("""{"dataplane.appProbeProxy.enabled":"true"}""")));
    }

    [Theory]
    [InlineData("""{"dataplane.admin.port":"9901","dataplane.admin.address":"192.168.0.1","dataplane.readinessReporter.port":"9902"}""",
        "envoy admin cluster is not allowed to have addresses other than \"\", \"0.0.0.0\", \"127.0.0.1\", \"::\", \"::1\"")]
    [InlineData("""{"dataplane.admin.port":"9901","dataplane.admin.address":"127.0.0.1"}""", "ReadinessPort has to be in (0, 65535] range")]
    [InlineData("""{"dataplane.admin.port":"9901","dataplane.admin.address":"127.0.0.1","dataplane.readinessReporter.port":"nine"}""",
        "ReadinessPort has to be in (0, 65535] range")]
    public void Facts_Kuma_refuses_leave_out_the_admin_resources_with_Kumas_error(string metadata, string error)
    {
        var node = Node(metadata);
        var config = Mesh().ForProxy("web-1", node);

        Assert.Equal(error, AdminResources.Problem(node.Admin));
        Assert.Equal(["inbound:192.168.0.1:1234", "localhost:1234"],
            config.Wildcard(TypeUrls.Listener).Concat(config.Wildcard(TypeUrls.Cluster)).Select(r => r.Name).ToArray());
    }

    [Fact]
    public void Node_metadata_is_read_as_kuma_dp_writes_it()
    {
        var full = Node("""
            {"dataplane.admin.port":"9901","dataplane.admin.address":"::1","dataplane.admin.socketPath":"/run/admin.sock",
             "dataplane.readinessReporter.port":"9902","dataplane.appProbeProxy.enabled":"true","ipv6Enabled":false,
             "features":["feature-delta-grpc","feature-readiness-unix-socket"],"workdir":"/run/kuma-dp"}
            """);
        var odd = Node("""{"dataplane.admin.port":9901,"dataplane.readinessReporter.port":"-1","dataplane.appProbeProxy.enabled":true}""");

        Assert.Equal(new AdminFacts(9901, "::1", "/run/admin.sock", 9902) { ReadinessUnixSocket = true, AppProbeProxy = true, Ipv6Enabled = false }, full.Admin);
        // Ports are decimal strings and booleans of kuma-dp's own keys are "true"; anything else counts as absent.
        Assert.Equal(AdminFacts.None, odd.Admin);
        Assert.Same(ProxyNode.None, Node("{}"));
    }
}
