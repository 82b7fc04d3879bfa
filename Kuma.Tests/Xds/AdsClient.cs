using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;

namespace Kuma.Tests.Xds;

/// <summary>A raw state-of-the-world ADS client: sends exactly what a test says and shows every response.</summary>
public sealed class AdsClient(string address, string nodeId, string? token, Struct? metadata = null, bool tokenInMetadata = false, HttpMessageHandler? handler = null, bool read = true)
    : AdsStream<DiscoveryRequest, DiscoveryResponse>(address, handler, read, channel =>
    {
        var headers = new Grpc.Core.Metadata();
        if (token is not null && !tokenInMetadata) headers.Add("authorization", token);
        return new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources(headers);
    })
{
    private bool _nodeSent;

    public Node Node { get; } = NewNode(nodeId, token, metadata, tokenInMetadata);

    private static Node NewNode(string id, string? token, Struct? metadata, bool tokenInMetadata)
    {
        var node = new Node { Id = id, Cluster = "test", Metadata = metadata ?? new Struct() };
        if (token is not null && tokenInMetadata) node.Metadata.Fields["dataplane.token"] = Value.ForString(token);
        return node;
    }

    public Task SendAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "", string? error = null)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce };
        if (names is not null) request.ResourceNames.AddRange(names);
        if (error is not null) request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        if (!_nodeSent)
        {
            request.Node = Node;
            _nodeSent = true;
        }
        return WriteAsync(request);
    }

    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    /// <summary>Waits for the next response of a type, passing over others.</summary>
    public async Task<DiscoveryResponse> NextOfTypeAsync(string typeUrl, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var response = await NextAsync(deadline - DateTime.UtcNow);
            if (response.TypeUrl == typeUrl) return response;
        }
    }
}
