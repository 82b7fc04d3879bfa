using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Tests.Xds;

/// <summary>A raw incremental (delta) ADS client, presenting its token the way Envoy does.</summary>
public sealed class DeltaAdsClient(string address, string nodeId, string token)
    : AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(address, null, true, channel =>
        new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel)
            .DeltaAggregatedResources(new Grpc.Core.Metadata { { "authorization", $"Bearer {token}" } }))
{
    private bool _nodeSent;

    public Node Node { get; } = new() { Id = nodeId, Metadata = new Struct() };

    public Task SendAsync(string typeUrl, IEnumerable<string>? subscribe = null, IEnumerable<string>? unsubscribe = null,
        string nonce = "", string? error = null, IDictionary<string, string>? initialVersions = null)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResponseNonce = nonce };
        if (subscribe is not null) request.ResourceNamesSubscribe.AddRange(subscribe);
        if (unsubscribe is not null) request.ResourceNamesUnsubscribe.AddRange(unsubscribe);
        if (initialVersions is not null) request.InitialResourceVersions.Add(initialVersions);
        if (error is not null) request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        if (!_nodeSent)
        {
            request.Node = Node;
            _nodeSent = true;
        }
        return WriteAsync(request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);
}
