using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>One flavour of ADS (state of the world or delta) for one stream, without I/O.</summary>
public interface IXdsEngine<in TRequest, TResponse>
{
    /// <summary>What happened since the caller last cleared this list, for the dataplane's insight.</summary>
    List<XdsEvent> Events { get; }

    List<TResponse> OnConfig(ProxyConfig? config);

    List<TResponse> OnRequest(TRequest request);
}
