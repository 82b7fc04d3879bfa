using System.Collections.Immutable;
using Kuma.Resources.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Vips;

namespace Kuma.Tests.TransparentProxy;

public sealed class VipAllocatorTests
{
    private static MeshVips Table(params (string Service, string Vip)[] entries) =>
        new(entries.ToImmutableSortedDictionary(e => e.Service, e => e.Vip, StringComparer.Ordinal));

    private static List<(string, string)> Entries(MeshVips vips) => [.. vips.ByService.Select(e => (e.Key, e.Value))];

    [Fact]
    public void New_services_get_the_lowest_free_addresses_of_the_range_in_name_order()
    {
        var vips = new VipAllocator().Allocate(MeshVips.Empty, ["web", "backend", "db"]);
        Assert.Equal([("backend", "240.0.0.0"), ("db", "240.0.0.1"), ("web", "240.0.0.2")], Entries(vips));
    }

    [Fact]
    public void Held_vips_stay_and_a_new_service_never_takes_one_still_held()
    {
        // Kuma's own case: frontend and backend hold .0 and .1 from before a restart; database comes next.
        var vips = new VipAllocator().Allocate(Table(("frontend", "240.0.0.0"), ("backend", "240.0.0.1")), ["backend", "database", "frontend"]);
        Assert.Equal([("backend", "240.0.0.1"), ("database", "240.0.0.2"), ("frontend", "240.0.0.0")], Entries(vips));
    }

    [Fact]
    public void A_removed_service_loses_its_entry_and_its_address_is_free_again()
    {
        var allocator = new VipAllocator();
        var before = Table(("a", "240.0.0.0"), ("b", "240.0.0.1"), ("c", "240.0.0.2"));
        var withoutB = allocator.Allocate(before, ["a", "c"]);
        Assert.Equal([("a", "240.0.0.0"), ("c", "240.0.0.2")], Entries(withoutB));
        Assert.Equal([("a", "240.0.0.0"), ("c", "240.0.0.2"), ("d", "240.0.0.1")], Entries(allocator.Allocate(withoutB, ["a", "c", "d"])));
    }

    [Fact]
    public void A_vip_outside_the_range_is_replaced_and_a_full_range_is_an_error()
    {
        var allocator = new VipAllocator("10.0.0.0/31");
        Assert.Equal([("a", "10.0.0.1"), ("b", "10.0.0.0")], Entries(allocator.Allocate(Table(("a", "240.0.0.7"), ("b", "10.0.0.0")), ["a", "b"])));
        var full = Assert.Throws<InvalidOperationException>(() => allocator.Allocate(MeshVips.Empty, ["a", "b", "c"]));
        Assert.Equal("no VIP left in 10.0.0.0/31", full.Message);
    }

    [Fact]
    public void The_stored_record_is_kumas_view_and_reads_back()
    {
        var vips = Table(("backend", "240.0.0.1"), ("web", "240.0.0.0"));
        const string Kuma = """{"0:backend":{"address":"240.0.0.1","outbounds":[{"Port":0,"TagSet":{"kuma.io/service":"backend"},"Origin":"service"}]},"0:web":{"address":"240.0.0.0","outbounds":[{"Port":0,"TagSet":{"kuma.io/service":"web"},"Origin":"service"}]}}""";
        Assert.Equal(Kuma, vips.ToConfig());
        Assert.Equal(vips, MeshVips.FromConfig(Kuma));
        // Kuma's older records name no port or origin, and may hold host entries this control plane does not make.
        Assert.Equal(Table(("backend", "240.0.0.1")), MeshVips.FromConfig("""{"0:backend":{"address":"240.0.0.1","outbounds":[{"TagSet":{"kuma.io/service":"backend_1"}}]},"1:host.com":{"address":"240.0.1.4","outbounds":[{"TagSet":{"kuma.io/service":"external-host"}}]}}"""));
    }

    [Fact]
    public void Services_are_those_of_inbounds_that_are_not_ignored()
    {
        var snapshot = InProcessMesh.Snapshot(
        [
            ("a", """{"networking":{"address":"10.0.0.1","inbound":[{"port":80,"tags":{"kuma.io/service":"web"}},{"port":81,"state":"Ignored","tags":{"kuma.io/service":"hidden"}}]}}"""),
            ("b", """{"networking":{"address":"10.0.0.2","inbound":[{"port":80,"tags":{"kuma.io/service":"api"}}],"outbound":[{"port":1,"tags":{"kuma.io/service":"elsewhere"}}]}}"""),
        ]);
        Assert.Equal(["api", "web"], VipAllocator.Services(snapshot));
    }
}
