using System.Text.Json.Nodes;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Kuma.Policies;
using Kuma.Policies.MeshTrafficPermission;
using Kuma.Policies.Rules;
using Kuma.Xds.Generation;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>What the goldens do not show: which chains of an inbound get RBAC, a filter already there, and what <c>_rules</c> notes.</summary>
public sealed class MeshTrafficPermissionPluginTests
{
    private static readonly MtlsState Permissive = new("default", MtlsMode.Permissive);
    private static readonly InboundTarget Tcp = new("backend", "tcp", 9001) { Mtls = Permissive };

    private static readonly InboundRules AllowFrontend = new(null, [])
    {
        From = [new FromRule(new TargetRef { Kind = TargetRefKinds.MeshService, Name = "frontend" },
            JsonNode.Parse("""{"action":"Allow"}""")!.AsObject(), new PolicyOrigin("allow-frontend", "from", 0))],
    };

    private static FilterChain TcpChain(string? transportProtocol = null, bool kumaTls = false)
    {
        var chain = new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { Cluster = "localhost:9001" }) } } };
        if (transportProtocol is not null) chain.FilterChainMatch = new FilterChainMatch { TransportProtocol = transportProtocol };
        if (kumaTls)
        {
            chain.FilterChainMatch.ApplicationProtocols.Add("kuma");
            chain.TransportSocket = new Envoy.Config.Core.V3.TransportSocket
            {
                Name = "envoy.transport_sockets.tls",
                TypedConfig = Any.Pack(new DownstreamTlsContext { RequireClientCertificate = true }),
            };
        }
        return chain;
    }

    [Fact]
    public void In_permissive_mode_only_the_chain_of_Kumas_mtls_gets_rbac()
    {
        // Kuma's PERMISSIVE inbound: plaintext, TLS of the application, and Kuma's mTLS (ALPN "kuma").
        var listener = new Listener { Name = "inbound:10.0.0.1:9001", FilterChains = { TcpChain("raw_buffer"), TcpChain("tls"), TcpChain("tls", kumaTls: true) } };

        new MeshTrafficPermissionPlugin().InboundListener(listener, Tcp, AllowFrontend);

        Assert.Equal([["envoy.filters.network.tcp_proxy"], ["envoy.filters.network.tcp_proxy"], ["envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"]],
            listener.FilterChains.Select(c => c.Filters.Select(f => f.Name).ToArray()).ToArray());
        var rbac = listener.FilterChains[2].Filters[0].TypedConfig.Unpack<NetworkRbac>();
        Assert.Equal("inbound_10_0_0_1_9001.", rbac.StatPrefix);
        Assert.Equal("spiffe://default/frontend", rbac.Rules.Policies["MeshTrafficPermission"].Principals.Single().Authenticated.PrincipalName.Exact);
    }

    [Fact]
    public void An_rbac_filter_already_on_the_chain_is_replaced_not_doubled()
    {
        var listener = new Listener { Name = "inbound:10.0.0.1:9001", FilterChains = { TcpChain("tls", kumaTls: true) } };
        listener.FilterChains[0].Filters.Insert(0, new Filter { Name = "envoy.filters.network.rbac", TypedConfig = Any.Pack(new NetworkRbac { StatPrefix = "earlier" }) });
        var plugin = new MeshTrafficPermissionPlugin();

        plugin.InboundListener(listener, Tcp, AllowFrontend);
        plugin.InboundListener(listener, Tcp, AllowFrontend);

        var chain = listener.FilterChains.Single();
        Assert.Equal(["envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"], chain.Filters.Select(f => f.Name));
        Assert.Equal("inbound_10_0_0_1_9001.", chain.Filters[0].TypedConfig.Unpack<NetworkRbac>().StatPrefix);
    }

    [Fact]
    public void Without_mtls_the_inbound_is_left_alone_and_rules_inspection_says_why()
    {
        var listener = new Listener { Name = "inbound:10.0.0.1:9001", FilterChains = { TcpChain() } };
        var before = listener.Clone();
        var plugin = new MeshTrafficPermissionPlugin();

        plugin.InboundListener(listener, Tcp with { Mtls = null }, AllowFrontend);

        Assert.Equal(before, listener);
        Assert.Equal(["mTLS is disabled in this mesh: MeshTrafficPermission has no effect (callers have no identity to check)"], plugin.RulesWarnings(null));
        Assert.Empty(plugin.RulesWarnings(Permissive));
    }

    [Theory]
    [InlineData("""{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}""", "STRICT")]
    [InlineData("""{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"PERMISSIVE"}]}""", "PERMISSIVE")]
    [InlineData("""{"enabledBackend":"ca-2","backends":[{"name":"ca-1","type":"builtin"}]}""", null)]
    [InlineData("""{"backends":[{"name":"ca-1","type":"builtin"}]}""", null)]
    public void Mtls_is_on_when_the_enabled_backend_is_one_of_the_backends(string mtls, string? mode)
    {
        var spec = Kuma.Resources.ResourceTypes.Mesh.Parse($$"""{"mtls":{{mtls}}}""");

        Assert.Equal(mode is null ? null : new MtlsState("m1", mode == "PERMISSIVE" ? MtlsMode.Permissive : MtlsMode.Strict), MtlsState.Of("m1", spec.Mtls));
    }
}
