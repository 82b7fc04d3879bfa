using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Kuma.Tests.Xds;

/// <summary>A raw incremental (delta) ADS client.</summary>
public sealed class DeltaAdsClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> _call;
    private readonly Channel<DeltaDiscoveryResponse> _received = Channel.CreateUnbounded<DeltaDiscoveryResponse>();
    private readonly Task _reader;
    private bool _nodeSent;

    public DeltaAdsClient(string address, string nodeId, string token)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        Node = new Node { Id = nodeId, Metadata = new Struct() };
        var headers = new Grpc.Core.Metadata { { "authorization", $"Bearer {token}" } };
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel).DeltaAggregatedResources(headers);
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var response in _call.ResponseStream.ReadAllAsync()) await _received.Writer.WriteAsync(response);
                _received.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _received.Writer.TryComplete(e);
            }
        });
    }

    public Node Node { get; }

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
        return _call.RequestStream.WriteAsync(request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);

    public async Task<DeltaDiscoveryResponse> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(cts.Token);
    }

    public async Task<bool> NothingWithinAsync(TimeSpan quiet)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            await _received.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
        }
        _channel.Dispose();
    }
}
