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
            // Only STRICT encrypts outbound (PERMISSIVE waits for readiness nobody reports); inbounds follow the mode.
            Assert.Equal(mode == "STRICT", cluster.TransportSocket is not null);
            Assert.Equal(mode switch { "off" => 1, "STRICT" => 1, _ => 3 }, inbound.FilterChains.Count);
            Assert.Equal(mode == "off" ? 0 : 1, inbound.FilterChains.Count(c => c.TransportSocket is not null));

            // The cluster of svc-1 is one unit for every caller: the certificate is each proxy's own over SDS.
            var shared = proxy.Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-1");
            Assert.All(dataplanes.Skip(1), d => Assert.Same(shared, incremental.ForProxy(d.Item1).Wildcard(TypeUrls.Cluster).Single(c => c.Name == "svc-1")));
        }
    }
}
