using System.Collections.Immutable;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Mtls;

/// <summary>
/// Kuma's TLS readiness as the mesh grain keeps it: a service is ready when every dataplane of it (ServiceInsight's
/// online + offline) holds a leaf of the enabled backend (issuedBackends[enabled] == total), under PERMISSIVE only.
/// </summary>
public sealed class TlsReadinessTrackerTests
{
    private static string Mesh(string mode, string enabled = "ca-1") =>
        """{"mtls":{"enabledBackend":"ENABLED","backends":[{"name":"ca-1","type":"builtin","mode":"MODE"},{"name":"ca-2","type":"builtin","mode":"MODE"}]}}"""
            .Replace("ENABLED", enabled, StringComparison.Ordinal).Replace("MODE", mode, StringComparison.Ordinal);

    private static string Dataplane(int address, string service, string? state = null) =>
        $$$"""{"networking":{"address":"10.0.0.{{{address}}}","inbound":[{"port":8080,{{{(state is null ? "" : $"\"state\":\"{state}\",")}}}"tags":{"kuma.io/service":"{{{service}}}"}}]}}""";

    private const string Gateway = """{"networking":{"address":"10.0.0.9","gateway":{"type":"DELEGATED","tags":{"kuma.io/service":"edge"}}}}""";

    private static MeshSnapshot Snapshot(string meshSpec, params (string Name, string Spec)[] dataplanes) =>
        InProcessMesh.Snapshot(dataplanes, meshSpec: meshSpec);

    private static readonly (string, string)[] Fleet =
        [("b-1", Dataplane(1, "backend")), ("b-2", Dataplane(2, "backend")), ("w-1", Dataplane(3, "web")), ("gw", Gateway)];

    [Fact]
    public void A_service_is_ready_once_every_dataplane_of_it_holds_a_leaf_of_the_enabled_backend()
    {
        var tracker = new TlsReadinessTracker();
        Assert.Empty(tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet))!);
        Assert.True(tracker.Record("w-1", "ca-1"));
        Assert.False(tracker.Record("b-1", "ca-1")); // b-2 has none yet
        Assert.Equal(["web"], tracker.Ready);
        Assert.True(tracker.Record("b-2", "ca-1"));
        Assert.True(tracker.Record("gw", "ca-1"));
        Assert.Equal(["backend", "edge", "web"], tracker.Ready);
        // A renewal by the same backend changes nothing; a leaf of a backend not enabled undoes it.
        Assert.False(tracker.Record("b-2", "ca-1"));
        Assert.True(tracker.Record("b-2", "ca-2"));
        Assert.Equal(["edge", "web"], tracker.Ready);
    }

    [Fact]
    public void Switching_the_enabled_backend_makes_services_not_ready_until_their_leaves_are_issued_again()
    {
        var tracker = new TlsReadinessTracker();
        tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet));
        foreach (var dataplane in new[] { "b-1", "b-2", "w-1", "gw" }) tracker.Record(dataplane, "ca-1");
        Assert.Equal(["backend", "edge", "web"], tracker.Ready);

        Assert.Empty(tracker.Update(Snapshot(Mesh("PERMISSIVE", enabled: "ca-2"), Fleet))!);
        Assert.False(tracker.Record("b-1", "ca-2"));
        Assert.True(tracker.Record("b-2", "ca-2"));
        Assert.Equal(["backend"], tracker.Ready);
    }

    [Fact]
    public void A_new_dataplane_makes_its_service_not_ready_and_a_deleted_one_no_longer_counts()
    {
        var tracker = new TlsReadinessTracker();
        tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet));
        foreach (var dataplane in new[] { "b-1", "b-2", "w-1", "gw" }) tracker.Record(dataplane, "ca-1");

        (string, string)[] scaled = [.. Fleet, ("b-3", Dataplane(4, "backend"))];
        Assert.Equal(["edge", "web"], tracker.Update(Snapshot(Mesh("PERMISSIVE"), scaled))!);
        Assert.True(tracker.Record("b-3", "ca-1"));
        Assert.Equal(["backend", "edge", "web"], tracker.Ready);

        // b-2 holds a leaf of another backend; once it and b-3 are deleted, b-1 alone makes backend ready.
        Assert.True(tracker.Record("b-2", "ca-2"));
        Assert.Equal(["edge", "web"], tracker.Ready);
        Assert.Equal(["backend", "edge", "web"], tracker.Update(Snapshot(Mesh("PERMISSIVE"), [.. Fleet.Where(d => d.Item1 != "b-2")]))!);
        // Created again under its name, b-2 starts without a leaf.
        Assert.Equal(["edge", "web"], tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet))!);
    }

    [Fact]
    public void Ignored_inbounds_do_not_count_and_not_ready_ones_do()
    {
        var tracker = new TlsReadinessTracker();
        tracker.Update(Snapshot(Mesh("PERMISSIVE"), ("b-1", Dataplane(1, "backend")), ("b-2", Dataplane(2, "backend", "Ignored")), ("b-3", Dataplane(3, "backend", "NotReady"))));
        Assert.False(tracker.Record("b-1", "ca-1"));
        Assert.False(tracker.Record("b-2", "ca-2")); // counts for no service
        Assert.True(tracker.Record("b-3", "ca-1"));
        Assert.Equal(["backend"], tracker.Ready);
    }

    [Theory]
    [InlineData("STRICT")]
    [InlineData(null)]
    public void Outside_PERMISSIVE_nothing_is_kept(string? mode)
    {
        var tracker = new TlsReadinessTracker();
        var meshSpec = mode is null ? "{}" : Mesh(mode);
        Assert.Null(tracker.Update(Snapshot(meshSpec, Fleet)));
        Assert.False(tracker.Record("w-1", "ca-1"));
        // Back to PERMISSIVE, what was said before does not count: every stream is issued a leaf again anyway.
        Assert.Empty(tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet))!);
    }

    [Fact]
    public void An_adopted_readiness_marks_every_dataplane_of_those_services_and_ignores_unknown_services()
    {
        var tracker = new TlsReadinessTracker();
        tracker.Update(Snapshot(Mesh("PERMISSIVE"), Fleet));
        Assert.True(tracker.Adopt(ImmutableSortedSet.Create("backend", "gone")));
        Assert.Equal(["backend"], tracker.Ready);
        Assert.False(tracker.Record("b-1", "ca-1"));
        Assert.True(tracker.Record("w-1", "ca-1"));
        Assert.Equal(["backend", "web"], tracker.Ready);
    }
}
