using System.Net;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kuma.Tests.Hardening;

/// <summary>
/// Finding 3, the case a real server produces only by chance: a write whose COMMIT went unanswered and
/// lands afterwards. The client is told the outcome is unknown; the mesh grain reconciles, so the API,
/// <c>_config</c> and the proxy end up agreeing with the store, and the next plain PUT is not a 409.
/// </summary>
public sealed class LateCommitTests
{
    /// <summary>Throws "outcome unknown" on the armed update and applies it a moment later, as a late COMMIT would.</summary>
    private sealed class LateCommitStore(IResourceStore inner) : IResourceStore
    {
        public volatile bool Armed;
        public Task? Landed;

        public Task<StoreCommit> UpdateAsync(ResourceWrite write, long expectedVersion, Generation generation, CancellationToken ct = default)
        {
            if (!Armed) return inner.UpdateAsync(write, expectedVersion, generation, ct);
            Armed = false;
            Landed = Task.Run(async () =>
            {
                await Task.Yield();
                await inner.UpdateAsync(write, expectedVersion, generation, CancellationToken.None);
            }, CancellationToken.None);
            throw new StoreUnavailableException("the store did not confirm the write (test)", outcomeUnknown: true);
        }

        public Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default) => inner.GetAsync(key, ct);
        public Task<ResourcePage> ListAsync(ResourceQuery query, CancellationToken ct = default) => inner.ListAsync(query, ct);
        public Task<IReadOnlyList<StoredResource>> ListMeshAsync(string tenant, string mesh, CancellationToken ct = default) => inner.ListMeshAsync(tenant, mesh, ct);
        public Task<StoreCommit> CreateAsync(IReadOnlyList<ResourceWrite> writes, Generation generation, Quota? quota = null, CancellationToken ct = default) => inner.CreateAsync(writes, generation, quota, ct);
        public Task<long?> DeleteAsync(ResourceKey key, long? expectedVersion, Generation generation, CancellationToken ct = default) => inner.DeleteAsync(key, expectedVersion, generation, ct);
        public Task<long?> DeleteMeshAsync(string tenant, string mesh, long? expectedVersion, CancellationToken ct = default) => inner.DeleteMeshAsync(tenant, mesh, expectedVersion, ct);
        public Task<bool> DeleteTenantAsync(string tenant, long? expectedVersion, CancellationToken ct = default) => inner.DeleteTenantAsync(tenant, expectedVersion, ct);
        public Task<long> CountAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken ct = default) => inner.CountAsync(tenant, types, ct);
        public Task<long> GetGenerationAsync(Generation generation, CancellationToken ct = default) => inner.GetGenerationAsync(generation, ct);
        public Task<long?> FenceAsync(Generation generation, CancellationToken ct = default) => inner.FenceAsync(generation, ct);
    }

    [Fact]
    public async Task A_write_of_unknown_outcome_that_lands_later_is_reconciled_everywhere()
    {
        LateCommitStore? store = null;
        await using var cp = await ControlPlane.StartAsync(extra: new Dictionary<string, string> { ["KUMA_DP_SERVER_TLS_ENABLED"] = "false" },
            configureServices: services => services.Replace(ServiceDescriptor.Singleton<IResourceStore>(sp =>
                store = new LateCommitStore(new MemoryResourceStore(sp.GetRequiredService<TimeProvider>())))));
        using var tenant = cp.NewClient(await cp.CreateTenantAsync("late"));
        (await tenant.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();
        await using var proxy = new AdsClient($"http://127.0.0.1:{cp.DpPort}", "shop.web", await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web"));
        await proxy.SendAsync(TypeUrls.Listener);
        var probe = new AgreementProbe(tenant, proxy, "shop", "web", 8080);
        Assert.True(await probe.ProxyShowsAsync("10.0.0.1", TimeSpan.FromSeconds(10)));

        store!.Armed = true;
        var answer = await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.2", 8080)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Contains("may or may not have been applied", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await store.Landed!;

        Assert.Equal("10.0.0.2", await probe.AgreedAddressAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(HttpStatusCode.OK, (await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.3", 8080)))).StatusCode);
        Assert.Equal("10.0.0.3", await probe.AgreedAddressAsync(TimeSpan.FromSeconds(10)));
    }
}
