using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Kuma.Policies;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Xds;

/// <summary>
/// The proxy-wide step's view of a proxy's resources: what a plugin changes, adds or removes is what the proxy
/// gets, and what it only reads keeps its bytes and version.
/// </summary>
public sealed class ProxyResourcesTests
{
    private static XdsResource Encoded(Listener l) => XdsResource.Encode(l.Name, l);
    private static XdsResource Encoded(Cluster c) => XdsResource.Encode(c.Name, c);

    [Fact]
    public void Changes_additions_and_removals_are_what_the_result_holds_and_untouched_resources_stay_as_they_were()
    {
        var kept = Encoded(new Cluster { Name = "kept", AltStatName = "kept" });
        var untouchedListener = Encoded(new Listener { Name = "inbound:10.0.0.1:8080" });
        var resources = new ProxyResources([kept, untouchedListener, Encoded(new Cluster { Name = "changed" }), Encoded(new Cluster { Name = "gone" })]);

        resources.Cluster("changed")!.AltStatName = "patched";
        resources.Add(new Cluster { Name = "added" });
        resources.Add(new Listener { Name = "_kuma:metrics:prometheus" });
        Assert.True(resources.RemoveCluster("gone"));
        Assert.False(resources.RemoveCluster("never-there"));
        Assert.Null(resources.Cluster("gone"));

        Assert.Equal(["added", "changed", "kept"], resources.ClusterNames);
        Assert.Equal(["_kuma:metrics:prometheus", "inbound:10.0.0.1:8080"], resources.ListenerNames);
        var clusters = resources.Result(TypeUrls.Cluster).ToList();
        Assert.Equal(["added", "changed", "kept"], clusters.Select(c => c.Name));
        Assert.Equal("patched", clusters[1].Payload.Unpack<Cluster>().AltStatName);
        Assert.Same(kept, clusters[2]);
        Assert.Same(untouchedListener, resources.Result(TypeUrls.Listener).Single(l => l.Name == "inbound:10.0.0.1:8080"));
    }

    [Fact]
    public void A_resource_only_read_stays_the_shared_instance()
    {
        var shared = Encoded(new Cluster { Name = "c", AltStatName = "c" });
        var resources = new ProxyResources([shared]);
        Assert.Equal("c", resources.Cluster("c")!.AltStatName);
        Assert.Same(shared, resources.Result(TypeUrls.Cluster).Single());
    }

    [Fact]
    public void A_resource_added_again_after_removal_is_back()
    {
        var resources = new ProxyResources([Encoded(new Cluster { Name = "c" })]);
        resources.RemoveCluster("c");
        resources.Add(new Cluster { Name = "c", AltStatName = "new" });
        Assert.Equal("new", resources.Result(TypeUrls.Cluster).Single().Payload.Unpack<Cluster>().AltStatName);
    }
}
