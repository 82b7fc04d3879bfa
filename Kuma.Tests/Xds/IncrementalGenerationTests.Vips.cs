using Kuma.Resources.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.TransparentProxy;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

public sealed partial class IncrementalGenerationTests
{
    [Fact]
    public void A_new_service_gets_its_vip_outbound_in_incremental_and_from_scratch_generations_alike()
    {
        var dataplanes = new Dictionary<string, string>
        {
            ["web-1"] = TransparentProxyGoldenTests.Web,
            ["backend-1"] = TransparentProxyGoldenTests.Backend,
        };
        var node = VipSnapshots.DnsNode();
        var first = VipSnapshots.WithAllocatedVips(InProcessMesh.Snapshot(dataplanes.Select(d => (d.Key, d.Value)), generation: 1));
        var gen1 = MeshContext.Build(first);
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80"], VipListeners(gen1.ForProxy("web-1", node)));

        // The dataplane's commit first (no VIP yet for the new service), then the mesh grain's VIP commit.
        dataplanes["db-1"] = TransparentProxyGoldenTests.Database;
        var firstVips = MeshVips.Of(first.ByType[MeshVips.Type].Values.Single());
        var second = VipSnapshots.WithVips(InProcessMesh.Snapshot(dataplanes.Select(d => (d.Key, d.Value)), generation: 2), firstVips);
        var third = VipSnapshots.WithAllocatedVips(second with { Generation = 3 }, firstVips);
        MeshContext? incremental = gen1;
        foreach (var snapshot in new[] { second, third })
        {
            incremental = MeshContext.Build(snapshot, incremental);
            AssertSameConfig(MeshContext.Build(snapshot).ForProxy("web-1", node), incremental.ForProxy("web-1", node));
        }
        // backend .0 and web .1 stay; the new service takes .2, and the DNS table names it.
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], VipListeners(incremental!.ForProxy("web-1", node)));
        Assert.Equal(["outbound:240.0.0.0:80", "outbound:240.0.0.1:80", "outbound:240.0.0.2:80"], VipListeners(MeshContext.Build(third).ForProxy("web-1", node)));
        Assert.Equal(
            incremental.ForProxy("web-1", node).Wildcard(TypeUrls.Listener).Single(l => l.Name == "kuma:dns").ToString(),
            MeshContext.Build(third).ForProxy("web-1", node).Wildcard(TypeUrls.Listener).Single(l => l.Name == "kuma:dns").ToString());
    }

    private static List<string> VipListeners(ProxyConfig config) =>
        [.. config.Wildcard(TypeUrls.Listener).Select(l => l.Name).Where(n => n.StartsWith("outbound:240.", StringComparison.Ordinal))];
}
