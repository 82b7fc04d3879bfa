using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

public sealed partial class IncrementalGenerationTests
{
    private static string MtlsMesh(string mode) =>
        """{"mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"MODE"}]}}""".Replace("MODE", mode, StringComparison.Ordinal);

    /// <summary>A mesh without mTLS, then STRICT, then PERMISSIVE.</summary>
    private static readonly string?[] MtlsMeshSpecs = [null, MtlsMesh("STRICT"), MtlsMesh("PERMISSIVE")];

    [Fact]
    public void Switching_mtls_on_and_off_rebuilds_every_proxy_as_from_scratch_and_keeps_units_shared()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        string?[] sequence = [null, MtlsMesh("STRICT"), MtlsMesh("PERMISSIVE"), MtlsMesh("STRICT"), null, MtlsMesh("PERMISSIVE"), null];
        MeshContext? incremental = null;
        for (var generation = 1; generation <= sequence.Length; generation++)
        {
            var meshSpec = sequence[generation - 1];
            var snapshot = InProcessMesh.Snapshot(dataplanes, generation: generation, meshSpec: meshSpec);
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in dataplanes) AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));

            var mode = meshSpec is null ? "off" : meshSpec.Contains("STRICT", StringComparison.Ordinal) ? "STRICT" : "PERMISSIVE";
            var proxy = incremental.ForProxy("dp-0");
            var cluster = proxy.Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-1").Payload.Unpack<Cluster>();
            var inbound = proxy.Wildcard(TypeUrls.Listener).Single(l => l.Name == "inbound:10.0.0.1:8080").Payload.Unpack<Listener>();
            // Only STRICT encrypts outbound (no service is TLS ready in these PERMISSIVE snapshots); inbounds follow the mode.
            Assert.Equal(mode == "STRICT", cluster.TransportSocket is not null);
            Assert.Equal(mode switch { "off" => 1, "STRICT" => 1, _ => 3 }, inbound.FilterChains.Count);
            Assert.Equal(mode == "off" ? 0 : 1, inbound.FilterChains.Count(c => c.TransportSocket is not null));

            // The cluster of svc-1 is one unit for every caller: the certificate is each proxy's own over SDS.
            var shared = proxy.Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-1");
            Assert.All(dataplanes.Skip(1), d => Assert.Same(shared, incremental.ForProxy(d.Item1).Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-1")));
        }
    }

    [Fact]
    public void A_meshtls_policy_coming_changing_and_going_gives_what_a_build_from_scratch_gives_and_clusters_stay_shared()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "http", Services))).ToList();
        string? MeshTls(string version) =>
            """{"targetRef":{"kind":"Mesh"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"tlsVersion":{"min":"MIN"}}}]}""".Replace("MIN", version, StringComparison.Ordinal);
        // A Dataplane-wide policy that only sets a mode puts dp-1 in a rule group of its own.
        const string Permissive = """{"targetRef":{"kind":"Dataplane","name":"dp-1"},"from":[{"targetRef":{"kind":"Mesh"},"default":{"mode":"Permissive"}}]}""";
        string?[] sequence = [null, MeshTls("TLS12"), MeshTls("TLS13"), null, MeshTls("TLS12")];
        MeshContext? incremental = null;
        for (var generation = 1; generation <= sequence.Length; generation++)
        {
            var policies = new List<(string, string, string)> { ("MeshTLS", "dp-1-permissive", Permissive) };
            if (sequence[generation - 1] is { } spec) policies.Add(("MeshTLS", "versions", spec));
            var snapshot = InProcessMesh.Snapshot(dataplanes, generation: generation, policies: policies, meshSpec: MtlsMesh("STRICT"));
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in dataplanes) AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));

            var cluster = incremental.ForProxy("dp-0").Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-2");
            var tls = cluster.Payload.Unpack<Cluster>().TransportSocket.TypedConfig
                .Unpack<Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext>().CommonTlsContext.TlsParams;
            Assert.Equal(sequence[generation - 1] is null ? null : sequence[generation - 1]!.Contains("TLS13", StringComparison.Ordinal) ? "Tlsv13" : "Tlsv12",
                tls?.TlsMinimumProtocolVersion.ToString());
            // dp-1's own inbound conf differs in mode only: its clusters are the very ones dp-0 gets.
            Assert.Same(cluster, incremental.ForProxy("dp-1").Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-2"));
            var inbound = incremental.ForProxy("dp-1").Wildcard(TypeUrls.Listener).Single(l => l.Name == "inbound:10.0.0.2:8080").Payload.Unpack<Listener>();
            Assert.Equal(3, inbound.FilterChains.Count);
        }
    }
}
