using System.Threading.Channels;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Kuma.Tests.Xds;

/// <summary>A raw state-of-the-world ADS client: sends exactly what a test says and shows every response.</summary>
public sealed class AdsClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Channel<DiscoveryResponse> _received = Channel.CreateUnbounded<DiscoveryResponse>();
    private readonly Task _reader;
    private bool _nodeSent;

    public AdsClient(string address, string nodeId, string? token, Struct? metadata = null, bool tokenInMetadata = false, HttpMessageHandler? handler = null, bool read = true)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        Node = new Node { Id = nodeId, Cluster = "test", Metadata = metadata ?? new Struct() };
        var headers = new Grpc.Core.Metadata();
        if (token is not null && !tokenInMetadata) headers.Add("authorization", token);
        if (token is not null && tokenInMetadata) Node.Metadata.Fields["dataplane.token"] = Value.ForString(token);
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel).StreamAggregatedResources(headers);
        _reader = !read ? Task.CompletedTask : Task.Run(async () =>
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
        return _call.RequestStream.WriteAsync(request);
    }

    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    /// <summary>The next response, or an exception when none arrives in time (or the stream ended).</summary>
    public async Task<DiscoveryResponse> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits for the next response of a type, acknowledging others on the way.</summary>
    public async Task<DiscoveryResponse> NextOfTypeAsync(string typeUrl, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var response = await NextAsync(deadline - DateTime.UtcNow);
            if (response.TypeUrl == typeUrl) return response;
        }
    }

    /// <summary>True when nothing arrives within <paramref name="quiet"/>: the way to show a server did not answer.</summary>
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

    /// <summary>The status the server ended the stream with; DeadlineExceeded when it is still open after the timeout.</summary>
    public async Task<StatusCode> StatusAsync(TimeSpan? timeout = null)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            while (await _received.Reader.WaitToReadAsync(cts.Token)) _received.Reader.TryRead(out _);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
        catch (OperationCanceledException)
        {
            return StatusCode.DeadlineExceeded;
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
