using Kuma.Resources;

namespace Kuma.Grains;

/// <summary>Reads go straight to the store as queries; any silo may serve them.</summary>
[Alias("kuma.IResourceReaderGrain")]
public interface IResourceReaderGrain : IGrainWithIntegerKey
{
    [Alias("Get")] Task<StoredResource?> Get(ResourceKey key);

    [Alias("List")] Task<ResourcePage> List(ResourceQuery query);
}
