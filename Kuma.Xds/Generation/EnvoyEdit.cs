using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using UpstreamHttpOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Kuma.Xds.Generation;

/// <summary>
/// How plugins change resources whose parts are packed in <see cref="Any"/>: unpack, change, pack back.
/// Packing is cheap next to encoding, which happens once per resource after every plugin ran.
/// </summary>
public static class EnvoyEdit
{
    /// <summary>Changes every filter of the chain with this name whose config is a <typeparamref name="T"/>.</summary>
    public static void UpdateFilter<T>(FilterChain chain, string filterName, Action<T> change) where T : class, IMessage, new()
    {
        foreach (var filter in chain.Filters)
        {
            if (filter.Name != filterName || filter.TypedConfig is not { } any || !any.Is(new T().Descriptor)) continue;
            var config = any.Unpack<T>();
            change(config);
            filter.TypedConfig = Any.Pack(config);
        }
    }

    /// <summary>Changes the cluster's upstream HTTP protocol options, creating them if absent.</summary>
    public static void UpdateUpstreamHttpOptions(Cluster cluster, Action<UpstreamHttpOptions> change)
    {
        var options = cluster.TypedExtensionProtocolOptions.TryGetValue(EnvoyBuild.Http2OptionsKey, out var any)
            ? any.Unpack<UpstreamHttpOptions>()
            // Envoy requires a protocol choice; HTTP/1.1 is what a cluster without options speaks anyway.
            : new UpstreamHttpOptions { ExplicitHttpConfig = new() { HttpProtocolOptions = new() } };
        change(options);
        cluster.TypedExtensionProtocolOptions[EnvoyBuild.Http2OptionsKey] = Any.Pack(options);
    }
}
