using Kuma.Resources;
using Kuma.Store;
using Orleans.Concurrency;

namespace Kuma.Grains;

/// <summary>Serves reads from the store on whichever silo the caller reaches; stateless, so it scales out freely.</summary>
[StatelessWorker]
internal sealed class ResourceReaderGrain(IResourceStore store) : Grain, IResourceReaderGrain
{
    public Task<StoredResource?> Get(ResourceKey key) => store.GetAsync(key);

    public Task<ResourcePage> List(ResourceQuery query) => store.ListAsync(query);
}
