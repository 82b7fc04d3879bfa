using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

public sealed partial class IncrementalGenerationTests
{
    private static readonly string[] ServerListenerNames =
        ["kuma/grpc/server?listening_address=0.0.0.0:8080", "kuma/grpc/server?listening_address=[::]:8080"];

    /// <summary>
    /// Proxyless servers' listeners as mTLS goes off, STRICT and PERMISSIVE and permissions come, change and go: each
    /// generation built from the previous one answers every server listener name as a build from scratch does, and
    /// servers with equal inputs (same service, port and rules) share one encoded listener.
    /// </summary>
    [Fact]
    public void Proxyless_server_listeners_built_incrementally_equal_those_built_from_scratch_and_stay_shared()
    {
        var dataplanes = Services.Select((s, i) => ($"dp-{i}", Dataplane(i + 1, s, "grpc", Services)))
            .Append(("dp-4", Dataplane(5, "svc-0", "grpc", Services))).ToList();
        var proxyless = new Dictionary<string, string> { [MeshContext.ProxyTypeLabel] = "proxyless" };
        var labels = dataplanes.ToDictionary(d => d.Item1, _ => (IReadOnlyDictionary<string, string>)proxyless);
        string Permission(string allowed) =>
            $$$"""{"targetRef":{"kind":"MeshService","name":"svc-0"},"from":[{"targetRef":{"kind":"MeshService","name":"{{{allowed}}}"},"default":{"action":"Allow"}}]}""";
        const string Rules = """{"targetRef":{"kind":"Mesh"},"rules":[{"default":{"allow":[{"spiffeID":{"type":"Prefix","value":"spiffe://m1"}}]}}]}""";
        (string? Mesh, string? Permission, string? Rules)[] sequence =
        [
            (null, null, null), (MtlsMesh("STRICT"), null, null), (MtlsMesh("STRICT"), Permission("svc-1"), null), (MtlsMesh("STRICT"), Permission("svc-2"), null),
            (MtlsMesh("STRICT"), Permission("svc-2"), Rules), (MtlsMesh("PERMISSIVE"), Permission("svc-2"), Rules), (null, Permission("svc-2"), null),
            (MtlsMesh("STRICT"), null, Rules), (MtlsMesh("STRICT"), null, null),
        ];
        MeshContext? incremental = null;
        var rbacSeen = 0;
        for (var generation = 1; generation <= sequence.Length; generation++)
        {
            var (meshSpec, permission, rules) = sequence[generation - 1];
            var policies = new List<(string, string, string)>();
            if (permission is not null) policies.Add(("MeshTrafficPermission", "svc-0-callers", permission));
            if (rules is not null) policies.Add(("MeshTrafficPermission", "by-id", rules));
            var snapshot = InProcessMesh.Snapshot(dataplanes, generation: generation, policies: policies, labels: labels, meshSpec: meshSpec);
            incremental = MeshContext.Build(snapshot, incremental);
            var scratch = MeshContext.Build(snapshot);
            foreach (var (name, _) in dataplanes)
            {
                AssertSameConfig(scratch.ForProxy(name), incremental.ForProxy(name));
                foreach (var listener in ServerListenerNames)
                {
                    var expected = scratch.ForProxy(name).Find(TypeUrls.Listener, listener);
                    Assert.NotNull(expected);
                    Assert.Equal(expected.ToString(), incremental.ForProxy(name).Find(TypeUrls.Listener, listener)?.ToString());
                    if (expected.Payload.Value.Span.IndexOf("envoy.filters.http.rbac"u8) >= 0) rbacSeen++;
                }
            }
            // dp-0 and dp-4 serve svc-0 on the same port under the same rules: one listener for both.
            Assert.Same(incremental.ForProxy("dp-0").Find(TypeUrls.Listener, ServerListenerNames[0]), incremental.ForProxy("dp-4").Find(TypeUrls.Listener, ServerListenerNames[0]));
        }
        // RBAC came and went with STRICT mTLS (6 STRICT generations, 5 servers, 2 names each).
        Assert.Equal(6 * 5 * 2, rbacSeen);
    }
}
