using Kuma.Grains;
using Kuma.Xds.Generation;

namespace Kuma.Xds.Protocol;

/// <summary>One flavour of ADS (state of the world or delta) for one stream, without I/O.</summary>
public interface IXdsEngine<in TRequest, TResponse>
{
    /// <summary>What happened since the caller last cleared this list, for the dataplane's insight.</summary>
    List<XdsEvent> Events { get; }

    /// <summary>Grows whenever a request changes what the stream subscribes to, or asks for a type the first time.</summary>
    int SubscriptionChanges { get; }

    /// <summary>What the stream subscribes to now, per type URL.</summary>
    IEnumerable<(string TypeUrl, Subscription Subscription)> Subscriptions { get; }

    /// <summary>The version of a resource the client last acknowledged, or null when it acknowledged none.</summary>
    string? AcceptedVersion(string typeUrl, string name);

    List<TResponse> OnConfig(ProxyConfig? config);

    List<TResponse> OnRequest(TRequest request);
}
