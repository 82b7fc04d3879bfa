using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.MeshAccessLog;

/// <summary>
/// The proxy-wide step fills access logs from the proxy's own facts; a generation built from the previous one
/// (reusing units and unchanged proxies) must still equal one built from scratch when those facts or the logs change.
/// </summary>
public sealed class MeshAccessLogIncrementalTests
{
    private static string Dataplane(int address, string service) =>
        $$$"""{"networking":{"address":"10.0.0.{{{address}}}","inbound":[{"port":8080,"tags":{"kuma.io/service":"{{{service}}}","kuma.io/protocol":"http"}}],"outbound":[{"port":10001,"tags":{"kuma.io/service":"svc-0"}},{"port":10002,"tags":{"kuma.io/service":"svc-1"}}]}}""";

    private static (string Type, string Spec) RandomLog(Random random)
    {
        var backend = random.Next(3) switch
        {
            0 => """{"type":"File","file":{"path":"/tmp/log","format":{"type":"Plain","plain":"%KUMA_SOURCE_SERVICE% %KUMA_SOURCE_ADDRESS% %KUMA_MESH%"}}}""",
            1 => """{"type":"Tcp","tcp":{"address":"logs.example:5000"}}""",
            _ => $$$"""{"type":"OpenTelemetry","openTelemetry":{"endpoint":"collector-{{{random.Next(3)}}}:4317"}}""",
        };
        var spec = random.Next(2) == 0
            ? $$$"""{"targetRef":{"kind":"MeshService","name":"svc-{{{random.Next(2)}}}"},"to":[{"targetRef":{"kind":"Mesh"},"default":{"backends":[{{{backend}}}]}}]}"""
            : $$$"""{"targetRef":{"kind":"Mesh"},"rules":[{"default":{"backends":[{{{backend}}}]}}]}""";
        return ("MeshAccessLog", spec);
    }

    [Fact]
    public void Every_generation_built_incrementally_equals_the_same_generation_built_from_scratch()
    {
        var random = new Random(11);
        var dataplanes = Enumerable.Range(0, 6).ToDictionary(i => $"dp-{i}", i => Dataplane(i + 1, $"svc-{i % 2}"));
        var policies = new Dictionary<string, (string Type, string Spec)>();
        MeshContext? incremental = null;
        var logged = 0;
        for (var generation = 1; generation <= 60; generation++)
        {
            var snapshot = InProcessMesh.Snapshot(dataplanes.Select(d => (d.Key, d.Value)), generation: generation,
                policies: policies.Select(p => (p.Value.Type, p.Key, p.Value.Spec)));
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var name in dataplanes.Keys)
            {
                foreach (var typeUrl in new[] { TypeUrls.Listener, TypeUrls.Cluster })
                {
                    var expected = scratch.ForProxy(name).Wildcard(typeUrl).Select(r => r.ToString()).ToList();
                    Assert.Equal(expected, incremental.ForProxy(name).Wildcard(typeUrl).Select(r => r.ToString()).ToList());
                }
                if (scratch.ForProxy(name).Inputs.Any(i => i is ProxyWideInputs)) logged++;
            }

            // Next: a proxy moving to another address or service, or an access log appearing, changing or going away.
            var pick = $"dp-{random.Next(6)}";
            switch (random.Next(4))
            {
                case 0: dataplanes[pick] = Dataplane(random.Next(1, 50), $"svc-{random.Next(2)}"); break;
                case 1 or 2: policies[$"log-{random.Next(3)}"] = RandomLog(random); break;
                default: policies.Remove($"log-{random.Next(3)}"); break;
            }
        }
        Assert.True(logged > 100, $"access logs reached only {logged} proxy configs");
    }
}
