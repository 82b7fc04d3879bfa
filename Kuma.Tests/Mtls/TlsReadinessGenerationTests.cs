using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Mtls;

/// <summary>
/// Outbound encryption under PERMISSIVE follows the TLS readiness the mesh's snapshot carries: a ready service's
/// cluster is STRICT's very cluster (SNI, SAN, ALPN), any other stays plaintext; STRICT ignores readiness.
/// </summary>
public sealed class TlsReadinessGenerationTests
{
    private static string MeshSpec(string mode) =>
        """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"MODE"}]}}""".Replace("MODE", mode, StringComparison.Ordinal);

    private static string Dataplane(int address, string service, string protocol = "http") =>
        $$$"""
        {"networking":{"address":"10.0.0.{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"{{{protocol}}}"}}],
         "outbound":[{"port":10001,"tags":{"kuma.io/service":"backend"}},{"port":10002,"tags":{"kuma.io/service":"other"}}]}}
        """;

    private static readonly (string, string)[] Dataplanes =
        [("web-1", Dataplane(1, "web")), ("b-1", Dataplane(2, "backend")), ("b-2", Dataplane(3, "backend")), ("o-1", Dataplane(4, "other"))];

    private static MeshSnapshot Snapshot(string mode, long generation = 1, params string[] ready) =>
        InProcessMesh.Snapshot(Dataplanes, generation: generation, meshSpec: MeshSpec(mode)) with
        {
            TlsReadiness = mode == "PERMISSIVE" ? new TlsReadiness(Guid.Empty, ImmutableSortedSet.Create(StringComparer.Ordinal, ready)) : null,
        };

    private static readonly string[] Outbounds = ["backend", "other"];

    private static XdsResource Cluster(MeshContext mesh, string name) => mesh.ForProxy("web-1").Wildcard(TypeUrls.Cluster).Single(c => c.Name == name);

    [Fact]
    public void A_ready_service_gets_the_cluster_STRICT_gives_and_a_service_not_ready_stays_plaintext()
    {
        var strict = MeshContext.Build(Snapshot("STRICT"));
        var permissive = MeshContext.Build(Snapshot("PERMISSIVE", ready: "backend"));

        var backend = Cluster(permissive, "backend");
        Assert.Equal(Cluster(strict, "backend").Payload, backend.Payload);
        var tls = backend.Payload.Unpack<Cluster>().TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal("backend{mesh=m1}", tls.Sni);
        Assert.Equal(["kuma"], tls.CommonTlsContext.AlpnProtocols);
        Assert.Equal(["spiffe://m1/backend"], tls.CommonTlsContext.CombinedValidationContext.DefaultValidationContext.MatchTypedSubjectAltNames.Select(m => m.Matcher.Exact));
        Assert.Equal(["identity_cert:secret:m1"], tls.CommonTlsContext.TlsCertificateSdsSecretConfigs.Select(s => s.Name));

        Assert.Null(Cluster(permissive, "other").Payload.Unpack<Cluster>().TransportSocket);
        Assert.True(permissive.IsTlsReady("backend"));
        Assert.False(permissive.IsTlsReady("other"));
    }

    [Fact]
    public void Without_readiness_PERMISSIVE_keeps_every_outbound_plaintext_and_STRICT_ignores_it()
    {
        var none = MeshContext.Build(Snapshot("PERMISSIVE"));
        Assert.All(Outbounds, s => Assert.Null(Cluster(none, s).Payload.Unpack<Cluster>().TransportSocket));

        // A STRICT snapshot carrying a readiness anyway (it never does) encrypts toward every service.
        var strict = MeshContext.Build(InProcessMesh.Snapshot(Dataplanes, meshSpec: MeshSpec("STRICT")) with
        {
            TlsReadiness = new TlsReadiness(Guid.Empty, ImmutableSortedSet<string>.Empty),
        });
        Assert.All(Outbounds, s => Assert.NotNull(Cluster(strict, s).Payload.Unpack<Cluster>().TransportSocket));
    }

    [Fact]
    public void Readiness_flipping_rebuilds_callers_as_from_scratch_and_clusters_stay_shared()
    {
        string[][] sequence = [[], ["backend"], ["backend", "other"], ["other"], []];
        MeshContext? incremental = null;
        for (var generation = 1; generation <= sequence.Length; generation++)
        {
            var snapshot = Snapshot("PERMISSIVE", generation, sequence[generation - 1]);
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in Dataplanes) AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));
            foreach (var service in Outbounds)
            {
                var cluster = Cluster(incremental, service);
                Assert.Equal(sequence[generation - 1].Contains(service), cluster.Payload.Unpack<Cluster>().TransportSocket is not null);
                Assert.All(Dataplanes.Skip(1), d => Assert.Same(cluster, incremental.ForProxy(d.Item1).Wildcard(TypeUrls.Cluster).Single(c => c.Name == service)));
            }
        }
    }

    private static void AssertSameConfig(ProxyConfig expected, ProxyConfig actual)
    {
        Assert.Equal(expected.Generation, actual.Generation);
        foreach (var type in new[] { TypeUrls.Listener, TypeUrls.Cluster })
            Assert.Equal(expected.Wildcard(type).Select(r => r.ToString()), actual.Wildcard(type).Select(r => r.ToString()));
    }

    private static readonly Dictionary<string, string> ProxylessLabel = new() { [MeshContext.ProxyTypeLabel] = "proxyless" };

    /// <summary>A proxyless workload declares no outbounds: it asks for services by name.</summary>
    private static string Proxyless(int address, string service) =>
        $$$"""{"networking":{"address":"10.0.0.{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"grpc"}}]}}""";

    private static MeshContext ProxylessMesh(string mode, params string[] ready) => MeshContext.Build(InProcessMesh.Snapshot(
        [("client", Proxyless(1, "web")), ("server", Proxyless(2, "backend"))], meshSpec: MeshSpec(mode),
        labels: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["client"] = ProxylessLabel, ["server"] = ProxylessLabel }) with
    {
        TlsReadiness = mode == "PERMISSIVE" ? new TlsReadiness(Guid.Empty, ImmutableSortedSet.Create(StringComparer.Ordinal, ready)) : null,
    });

    private const string ServerListenerName = "kuma/grpc/server?listening_address=0.0.0.0:8080";

    [Fact]
    public void A_proxyless_client_encrypts_toward_a_ready_service_and_its_proxyless_server_then_serves_STRICT_s_listener()
    {
        var strict = ProxylessMesh("STRICT");
        var ready = ProxylessMesh("PERMISSIVE", "backend");
        var notReady = ProxylessMesh("PERMISSIVE");

        var cluster = ready.ForProxy("client").Find(TypeUrls.Cluster, "backend")!;
        Assert.Equal(strict.ForProxy("client").Find(TypeUrls.Cluster, "backend")!.Payload, cluster.Payload);
        var tls = cluster.Payload.Unpack<Cluster>().TransportSocket.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal(MtlsNames.IdentityProviderInstance, tls.CommonTlsContext.TlsCertificateProviderInstance.InstanceName);
        Assert.Null(notReady.ForProxy("client").Find(TypeUrls.Cluster, "backend")!.Payload.Unpack<Cluster>().TransportSocket);

        var listener = ready.ForProxy("server").Find(TypeUrls.Listener, ServerListenerName)!;
        Assert.Equal(strict.ForProxy("server").Find(TypeUrls.Listener, ServerListenerName)!.Payload, listener.Payload);
        Assert.NotNull(listener.Payload.Unpack<Listener>().DefaultFilterChain.TransportSocket);
        Assert.Null(notReady.ForProxy("server").Find(TypeUrls.Listener, ServerListenerName)!.Payload.Unpack<Listener>().DefaultFilterChain.TransportSocket);
    }
}
