using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;

namespace Kuma.Tests.ProxylessServers;

/// <summary>
/// The server listener a proxyless gRPC server asks for by name (<c>kuma/grpc/server?listening_address=host:port</c>):
/// answered only for the asking proxyless dataplane's own inbound ports, shaped as gRPC's server accepts it, and one
/// shared unit for equal inputs.
/// </summary>
public sealed class ServerListenerTests
{
    private const string Strict = """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}""";
    private const string Permissive = """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"PERMISSIVE"}]}}""";

    private static string Server(int address, string service, params int[] ports)
    {
        var inbounds = ports.Select(p => $$$"""{"port":{{{p}}},"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc"}}""");
        return $$$"""{"networking":{"address":"10.0.0.{{{address}}}","inbound":[{{{string.Join(',', inbounds)}}}]}}""";
    }

    private static readonly Dictionary<string, string> ProxylessLabel = new() { [MeshContext.ProxyTypeLabel] = "proxyless" };

    private static MeshContext Mesh(string? meshSpec = null, IEnumerable<(string Type, string Name, string Spec)>? policies = null) => InProcessMesh.Build(
        [("server-1", Server(1, "backend", 9001, 9003)), ("server-2", Server(2, "backend", 9001)), ("sidecar", Server(3, "backend", 9001))],
        policies: policies, meshSpec: meshSpec,
        labels: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["server-1"] = ProxylessLabel, ["server-2"] = ProxylessLabel });

    private static Listener? Find(MeshContext mesh, string proxy, string name) =>
        mesh.ForProxy(proxy).Find(TypeUrls.Listener, name)?.Payload.Unpack<Listener>();

    public static TheoryData<string, string?> Names() => new()
    {
        { "kuma/grpc/server?listening_address=0.0.0.0:50051", "0.0.0.0:50051" },
        { "kuma/grpc/server?listening_address=[::]:50051", ":::50051" },
        { "kuma/grpc/server?listening_address=127.0.0.1:1", "127.0.0.1:1" },
        { "kuma/grpc/server?listening_address=[::1]:65535", "::1:65535" },
        { "kuma/grpc/server?listening_address=0.0.0.0:0", null },
        { "kuma/grpc/server?listening_address=0.0.0.0:65536", null },
        { "kuma/grpc/server?listening_address=0.0.0.0:+1", null },
        { "kuma/grpc/server?listening_address=0.0.0.0", null },
        { "kuma/grpc/server?listening_address=:50051", null },
        { "kuma/grpc/server?listening_address=localhost:50051", null },
        { "kuma/grpc/server?listening_address=:::50051", null },
        { "kuma/grpc/server?listening_address=[0.0.0.0]:50051", null },
        { "kuma/grpc/server?listening_address=[::0]:50051", null },
        { "kuma/grpc/server?listening_address=1:50051", null },
        { "kuma/grpc/server?listening_address=", null },
        { "kuma/grpc/server?address=0.0.0.0:50051", null },
        { "backend", null },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void A_name_is_read_as_gRPC_writes_the_address_it_binds_and_anything_else_is_no_server_listener(string name, string? expected)
    {
        var parsed = Kuma.Xds.Generation.ProxylessServer.Parse(name);
        Assert.Equal(expected, parsed is { } p ? $"{p.Host}:{p.Port}" : null);
    }

    [Fact]
    public void Only_a_proxyless_dataplane_gets_a_server_listener_and_only_for_its_own_inbound_ports()
    {
        var mesh = Mesh();
        Assert.NotNull(Find(mesh, "server-1", "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.NotNull(Find(mesh, "server-1", "kuma/grpc/server?listening_address=0.0.0.0:9003"));
        // server-2 has 9001 only; the sidecar has 9001 but is not proxyless; a caller without a Dataplane has no inbound.
        Assert.Null(Find(mesh, "server-2", "kuma/grpc/server?listening_address=0.0.0.0:9003"));
        Assert.Null(Find(mesh, "sidecar", "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.Null(Find(mesh, "nobody", "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.Null(Find(mesh, "server-1", "kuma/grpc/server?listening_address=0.0.0.0:9002"));
        Assert.Null(Find(mesh, "server-1", "kuma/grpc/server?listening_address=not-an-address"));
        // Other types by that name are nothing either.
        Assert.Null(mesh.ForProxy("server-1").Find(TypeUrls.Cluster, "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.Null(mesh.ForProxy("server-1").Find(TypeUrls.RouteConfiguration, "kuma/grpc/server?listening_address=0.0.0.0:9001"));
    }

    [Fact]
    public void The_listener_echoes_the_bound_address_and_accepts_every_call_in_plaintext_while_mtls_is_off()
    {
        var listener = Find(Mesh(), "server-1", "kuma/grpc/server?listening_address=[::]:9001")!;
        Assert.Equal("kuma/grpc/server?listening_address=[::]:9001", listener.Name);
        Assert.Equal("::", listener.Address.SocketAddress.Address);
        Assert.Equal(9001u, listener.Address.SocketAddress.PortValue);
        Assert.Empty(listener.FilterChains);
        Assert.Empty(listener.ListenerFilters);
        var chain = listener.DefaultFilterChain;
        Assert.Null(chain.TransportSocket);
        var hcm = Assert.Single(chain.Filters).TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal(["envoy.filters.http.router"], hcm.HttpFilters.Select(f => f.Name));
        var route = Assert.Single(Assert.Single(hcm.RouteConfig.VirtualHosts).Routes);
        Assert.NotNull(route.NonForwardingAction);
        Assert.Equal("", route.Match.Prefix);
    }

    [Fact]
    public void Strict_mtls_requires_a_mesh_client_certificate_from_the_bootstraps_providers_and_denies_all_without_a_permission()
    {
        var listener = Find(Mesh(Strict), "server-1", "kuma/grpc/server?listening_address=0.0.0.0:9001")!;
        var tls = listener.DefaultFilterChain.TransportSocket.TypedConfig.Unpack<DownstreamTlsContext>();
        Assert.True(tls.RequireClientCertificate);
        Assert.Equal("kuma-identity", tls.CommonTlsContext.TlsCertificateProviderInstance.InstanceName);
        Assert.Equal("kuma-mesh-ca", tls.CommonTlsContext.ValidationContext.CaCertificateProviderInstance.InstanceName);
        var hcm = listener.DefaultFilterChain.Filters[0].TypedConfig.Unpack<HttpConnectionManager>();
        Assert.Equal(["envoy.filters.http.rbac", "envoy.filters.http.router"], hcm.HttpFilters.Select(f => f.Name));
        var rbac = hcm.HttpFilters[0].TypedConfig.Unpack<HttpRbac>();
        Assert.Equal(Envoy.Config.Rbac.V3.RBAC.Types.Action.Allow, rbac.Rules.Action);
        Assert.Empty(rbac.Rules.Policies);
        Assert.Null(rbac.Matcher);
    }

    [Fact]
    public void Permissive_mtls_serves_plaintext_without_rbac_since_grpc_cannot_pick_a_chain_by_tls_inspection()
    {
        var mtp = ("MeshTrafficPermission", "allow-web", """{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"action":"Allow"}}]}""");
        var mesh = Mesh(Permissive, [mtp]);
        var listener = Find(mesh, "server-1", "kuma/grpc/server?listening_address=0.0.0.0:9001")!;
        Assert.Null(listener.DefaultFilterChain.TransportSocket);
        Assert.Equal(["envoy.filters.http.router"], listener.DefaultFilterChain.Filters[0].TypedConfig.Unpack<HttpConnectionManager>().HttpFilters.Select(f => f.Name));
        var gap = Assert.Single(Kuma.Xds.Inspect.PoliciesNotApplied.For(mesh, "server-1", []));
        Assert.Equal(("MeshTrafficPermission", "backend", "from[].default", "allow-web"), (gap.Type, gap.Service, gap.Field, Assert.Single(gap.Policies)));
    }

    [Fact]
    public void Equal_inputs_share_one_encoded_listener_across_requests_and_proxies()
    {
        var mesh = Mesh(Strict);
        var first = mesh.ForProxy("server-1").Find(TypeUrls.Listener, "kuma/grpc/server?listening_address=0.0.0.0:9001");
        Assert.Same(first, mesh.ForProxy("server-1").Find(TypeUrls.Listener, "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.Same(first, mesh.ForProxy("server-2").Find(TypeUrls.Listener, "kuma/grpc/server?listening_address=0.0.0.0:9001"));
        Assert.NotSame(first, mesh.ForProxy("server-1").Find(TypeUrls.Listener, "kuma/grpc/server?listening_address=[::]:9001"));
    }

    [Fact]
    public void What_grpc_cannot_apply_of_a_permission_is_listed_with_the_policies_it_comes_from()
    {
        var mtps = new[]
        {
            ("MeshTrafficPermission", "legacy", """{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"MeshService","name":"old"},"default":{"action":"AllowWithShadowDeny"}}]}"""),
            ("MeshTrafficPermission", "by-id", """
                {"targetRef":{"kind":"MeshService","name":"backend"},"rules":[{"default":{
                  "allow":[{"spiffeID":{"type":"Exact","value":"spiffe://m1/web"},"sni":{"type":"Exact","value":"x"}}],
                  "deny":[{"sni":{"type":"Exact","value":"y"}}],
                  "allowWithShadowDeny":[{"spiffeID":{"type":"Prefix","value":"spiffe://m1"}}]}}]}
                """),
        };
        // With rules, from entries are not read (as for sidecars): only the rules' gaps.
        var gaps = Kuma.Xds.Inspect.PoliciesNotApplied.For(Mesh(Strict, mtps), "server-1", []);
        Assert.Equal(
            [
                ("rules[].default.allowWithShadowDeny", "by-id"),
                ("rules[].default.allow[].sni", "by-id"),
                ("rules[].default.deny[].sni", "by-id"),
            ],
            gaps.Select(g => (g.Field, Assert.Single(g.Policies))));
        Assert.All(gaps, g => Assert.Equal(("MeshTrafficPermission", "backend"), (g.Type, g.Service)));

        var fromOnly = Kuma.Xds.Inspect.PoliciesNotApplied.For(Mesh(Strict, [mtps[0]]), "server-1", []);
        var shadow = Assert.Single(fromOnly);
        Assert.Equal(("from[].default.action", "legacy"), (shadow.Field, Assert.Single(shadow.Policies)));
        // mTLS off: a permission has no effect anywhere, so nothing is missing.
        Assert.Empty(Kuma.Xds.Inspect.PoliciesNotApplied.For(Mesh(null, mtps), "server-1", []));
    }
}
