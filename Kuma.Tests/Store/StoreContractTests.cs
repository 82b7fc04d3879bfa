using Kuma.Policies;
using Kuma.Resources;
using Kuma.Store;
using Kuma.Store.Postgres;
using Kuma.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Kuma.Tests.Store;

/// <summary>Rules every store must keep alike; each store runs them through a subclass.</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private const string Tenant = "acme";
    private static readonly Quota FiveDataplanes = new(5, [ResourceTypes.Dataplane.Name], "dataplanes");
    private static readonly Quota ThreePolicies = new(3, [.. PolicyTypes.Catalog.Policies.Select(p => p.Name)], "policies");

    protected IResourceStore Store { get; private set; } = null!;

    protected abstract Task<IResourceStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Concurrent_quota_checked_creates_across_meshes_store_exactly_the_limit()
    {
        var meshes = await SeedTenant(Tenant, meshCount: 8);
        var creates = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var mesh = meshes[i % meshes.Count];
            try
            {
                await Store.CreateAsync([Write(Tenant, ResourceTypes.Dataplane.Name, mesh, $"dp-{i}")], new Generation(Tenant, mesh), FiveDataplanes);
                return null;
            }
            catch (QuotaExceededException e)
            {
                return e;
            }
        })).ToList();
        var outcomes = await Task.WhenAll(creates);

        Assert.Equal(5, outcomes.Count(o => o is null));
        Assert.All(outcomes.OfType<QuotaExceededException>(), e => Assert.Equal("tenant acme has reached its quota of 5 dataplanes", e.Message));
        Assert.Equal(35, outcomes.Count(o => o is not null));
        Assert.Equal(5, await Store.CountAsync(Tenant, [ResourceTypes.Dataplane.Name]));
    }

    [Fact]
    public async Task A_create_that_would_cross_the_limit_stores_none_of_its_rows()
    {
        var mesh = (await SeedTenant(Tenant, meshCount: 1))[0];
        var scope = new Generation(Tenant, mesh);
        await Store.CreateAsync([Write(Tenant, "MeshTimeout", mesh, "t1"), Write(Tenant, "MeshRetry", mesh, "r1")], scope, ThreePolicies);

        await Assert.ThrowsAsync<QuotaExceededException>(() =>
            Store.CreateAsync([Write(Tenant, "MeshTimeout", mesh, "t2"), Write(Tenant, "MeshCircuitBreaker", mesh, "c1")], scope, ThreePolicies));
        Assert.Null(await Store.GetAsync(new ResourceKey(Tenant, "MeshTimeout", mesh, "t2")));
        Assert.Equal(2, await Store.CountAsync(Tenant, ThreePolicies.Types));

        await Store.CreateAsync([Write(Tenant, "MeshCircuitBreaker", mesh, "c1")], scope, ThreePolicies);
        Assert.Equal(3, await Store.CountAsync(Tenant, ThreePolicies.Types));
    }

    [Fact]
    public async Task Only_the_tenants_own_rows_of_the_counted_types_count()
    {
        var mesh = (await SeedTenant(Tenant, meshCount: 1))[0];
        var otherMesh = (await SeedTenant("other", meshCount: 1))[0];
        for (var i = 0; i < 3; i++)
            await Store.CreateAsync([Write("other", ResourceTypes.Dataplane.Name, otherMesh, $"dp-{i}")], new Generation("other", otherMesh));
        var scope = new Generation(Tenant, mesh);
        var oneDataplane = FiveDataplanes with { Limit = 1 };
        await Store.CreateAsync([Write(Tenant, ResourceTypes.Secret.Name, mesh, "s1")], scope);

        await Store.CreateAsync([Write(Tenant, ResourceTypes.Dataplane.Name, mesh, "dp-0")], scope, oneDataplane);
        await Assert.ThrowsAsync<QuotaExceededException>(() =>
            Store.CreateAsync([Write(Tenant, ResourceTypes.Dataplane.Name, mesh, "dp-1")], scope, oneDataplane));
        // A create that adds nothing the quota counts goes through even at the limit.
        await Store.CreateAsync([Write(Tenant, ResourceTypes.Secret.Name, mesh, "s2")], scope, oneDataplane);
    }

    private async Task<List<string>> SeedTenant(string tenant, int meshCount)
    {
        await Store.CreateAsync([Write(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, "", tenant)], Generation.None);
        var meshes = Enumerable.Range(0, meshCount).Select(i => $"m{i}").ToList();
        foreach (var mesh in meshes)
            await Store.CreateAsync([Write(tenant, ResourceTypes.Mesh.Name, "", mesh)], new Generation(tenant, mesh));
        return meshes;
    }

    private static ResourceWrite Write(string tenant, string type, string mesh, string name) =>
        new() { Key = new ResourceKey(tenant, type, mesh, name), SpecJson = "{}" };
}

public sealed class MemoryStoreContractTests : StoreContractTests
{
    protected override Task<IResourceStore> CreateStoreAsync() => Task.FromResult<IResourceStore>(new MemoryResourceStore(TimeProvider.System));
}

public sealed class PostgresStoreContractTests : StoreContractTests
{
    private NpgsqlDataSource? _dataSource;

    protected override async Task<IResourceStore> CreateStoreAsync()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("store_contract");
        _dataSource = NpgsqlDataSource.Create(database);
        await PostgresSchema.MigrateAsync(_dataSource, NullLogger.Instance);
        return new PostgresResourceStore(_dataSource, TimeProvider.System);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }
}
