using System.Collections.Immutable;
using System.Security.Cryptography;
using Kuma.Grains;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kuma.Tests.Mtls;

/// <summary>
/// TLS readiness through the grains of a running control plane: leaves signed by the mesh's CA grain reach the mesh
/// grain, whose snapshot moves to a new generation only when a service's readiness flips, and only under PERMISSIVE.
/// </summary>
public sealed class TlsReadinessGrainTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private ControlPlane Cp => fixture.ControlPlane;

    private IGrainFactory Grains => Cp.Services.GetRequiredService<IGrainFactory>();

    private static string Mesh(string mode) =>
        """{"type":"Mesh","name":"m1","mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin","mode":"MODE"}]}}""".Replace("MODE", mode, StringComparison.Ordinal);

    private async Task<(HttpClient Client, IMeshGrain Mesh)> MeshWith(string tenant, string mode, params (string Name, string Service)[] dataplanes)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(tenant));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json(Mesh(mode)))).EnsureSuccessStatusCode();
        var address = 1;
        foreach (var (name, service) in dataplanes) await PutDataplane(client, name, service, address++);
        return (client, Grains.GetGrain<IMeshGrain>(GrainKeys.Mesh(tenant, "m1")));
    }

    private static async Task PutDataplane(HttpClient client, string name, string service, int address) =>
        (await client.PutAsync($"/meshes/m1/dataplanes/{name}", ControlPlane.Json(Samples.Dataplane("m1", name, service, $"10.0.0.{address}")))).EnsureSuccessStatusCode();

    /// <summary>What a gateway's stream asks: a leaf for the dataplane, in the generation it serves.</summary>
    private async Task Issue(string tenant, IMeshGrain mesh, string dataplane, string service)
    {
        var snapshot = (await mesh.GetSnapshot())!;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tags = ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal).Add("kuma.io/service", [service]);
        var issued = await Grains.GetGrain<IMeshCaGrain>(GrainKeys.Mesh(tenant, "m1"))
            .Issue(new IdentityRequest(snapshot.MeshResource.Uid, snapshot.Generation, key.ExportSubjectPublicKeyInfo(), tags, Dataplane: dataplane));
        Assert.NotNull(issued.CertificatePem);
    }

    private static async Task<MeshSnapshot> SnapshotWhen(IMeshGrain mesh, Func<MeshSnapshot, bool> condition, string what)
    {
        MeshSnapshot? seen = null;
        await Eventually.HoldsAsync(async () => (seen = await mesh.GetSnapshot()) is { } s && condition(s), Patience, what);
        return seen!;
    }

    [Fact]
    public async Task The_generation_moves_once_per_readiness_flip_and_never_per_certificate()
    {
        var (client, mesh) = await MeshWith("ready-flips", "PERMISSIVE", ("b-1", "backend"), ("b-2", "backend"), ("w-1", "web"));
        var start = (await mesh.GetSnapshot())!;
        Assert.Empty(start.TlsReadiness!.Ready);

        await Issue("ready-flips", mesh, "b-1", "backend"); // b-2 has none yet: no flip
        await Issue("ready-flips", mesh, "w-1", "web");
        var web = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count > 0, "web becomes ready");
        Assert.Equal(["web"], web.TlsReadiness!.Ready);
        Assert.Equal(start.Generation + 1, web.Generation);

        await Issue("ready-flips", mesh, "b-2", "backend");
        var both = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count > 1, "backend becomes ready");
        Assert.Equal(["backend", "web"], both.TlsReadiness!.Ready);
        Assert.Equal(web.Generation + 1, both.Generation);

        // Renewals flip nothing; a new dataplane makes backend not ready in the very generation that adds it.
        await Issue("ready-flips", mesh, "b-1", "backend");
        await Issue("ready-flips", mesh, "w-1", "web");
        await PutDataplane(client, "b-3", "backend", 4);
        var scaled = (await mesh.GetSnapshot())!;
        Assert.Equal(both.Generation + 1, scaled.Generation);
        Assert.Equal(["web"], scaled.TlsReadiness!.Ready);
        await Issue("ready-flips", mesh, "b-3", "backend");
        var again = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count > 1, "backend becomes ready again");
        Assert.Equal(scaled.Generation + 1, again.Generation);

        // Deleting a dataplane of a ready service changes nothing but the dataplanes.
        (await client.DeleteAsync("/meshes/m1/dataplanes/b-3")).EnsureSuccessStatusCode();
        var shrunk = (await mesh.GetSnapshot())!;
        Assert.Equal(again.Generation + 1, shrunk.Generation);
        Assert.Equal(["backend", "web"], shrunk.TlsReadiness!.Ready);
    }

    [Fact]
    public async Task A_STRICT_mesh_keeps_no_readiness_and_its_generation_moves_only_with_writes()
    {
        var (client, mesh) = await MeshWith("ready-strict", "STRICT", ("b-1", "backend"));
        var start = (await mesh.GetSnapshot())!;
        Assert.Null(start.TlsReadiness);
        await Issue("ready-strict", mesh, "b-1", "backend");
        await PutDataplane(client, "b-2", "backend", 2);
        var after = (await mesh.GetSnapshot())!;
        Assert.Equal(start.Generation + 1, after.Generation);
        Assert.Null(after.TlsReadiness);
    }

    [Fact]
    public async Task A_mesh_grain_activated_anew_takes_the_readiness_back_from_a_gateway_holding_the_same_generation()
    {
        var (_, mesh) = await MeshWith("ready-restart", "PERMISSIVE", ("b-1", "backend"), ("w-1", "web"));
        await Issue("ready-restart", mesh, "b-1", "backend");
        var held = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count == 1, "backend becomes ready");

        // The activation goes, as with a lost silo; its successor reads the same generation from the store, knowing no leaf.
        await mesh.Forget();
        var fresh = await SnapshotWhen(mesh, s => s.TlsReadiness!.Epoch != held.TlsReadiness!.Epoch, "a new activation");
        Assert.Equal(held.Generation, fresh.Generation);
        Assert.Empty(fresh.TlsReadiness!.Ready);

        // A gateway's poll hands back what it holds; backend stays ready without a single new leaf.
        await mesh.WaitForChange(held.Generation, TimeSpan.FromMilliseconds(50), held.TlsReadiness);
        var back = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count == 1, "backend ready again");
        Assert.Equal(["backend"], back.TlsReadiness!.Ready);
        // It is taken once: a later hand-back (one claiming web too, whose leaf was never issued) changes nothing.
        await mesh.WaitForChange(back.Generation, TimeSpan.FromMilliseconds(50), new TlsReadiness(Guid.NewGuid(), ["backend", "web"]));
        Assert.Equal(["backend"], (await mesh.GetSnapshot())!.TlsReadiness!.Ready);

        // A stream that sees the new activation tells it, through the CA, of the leaf it holds.
        await Grains.GetGrain<IMeshCaGrain>(GrainKeys.Mesh("ready-restart", "m1")).Holds(back.MeshResource.Uid, "w-1", "ca-1");
        var told = await SnapshotWhen(mesh, s => s.TlsReadiness!.Ready.Count == 2, "web ready once told");
        Assert.Equal(["backend", "web"], told.TlsReadiness!.Ready);
    }
}
