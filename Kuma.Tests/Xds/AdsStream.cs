using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;

namespace Kuma.Tests.Xds;

/// <summary>What both raw clients share: one ADS call, its responses collected in order, and ways to wait on them.</summary>
public abstract class AdsStream<TRequest, TResponse> : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Channel<TResponse> _received = Channel.CreateUnbounded<TResponse>();
    private readonly AsyncDuplexStreamingCall<TRequest, TResponse> _call;
    private readonly Task _reader;

    protected AdsStream(string address, HttpMessageHandler? handler, bool read,
        Func<GrpcChannel, AsyncDuplexStreamingCall<TRequest, TResponse>> open)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        _call = open(_channel);
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

    protected Task WriteAsync(TRequest request) => _call.RequestStream.WriteAsync(request);

    /// <summary>Ends the client's side of the stream, as a proxy that shuts down in good order does.</summary>
    public Task CompleteAsync() => _call.RequestStream.CompleteAsync();

    /// <summary>The next response, or an exception when none arrives in time (or the stream ended).</summary>
    public async Task<TResponse> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(cts.Token);
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
    public async Task<StatusCode> StatusAsync(TimeSpan? timeout = null) => (await EndAsync(timeout)).StatusCode;

    /// <summary>The status (code and detail) the stream ended with, reading past any responses still queued.</summary>
    public async Task<Status> EndAsync(TimeSpan? timeout = null)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            while (await _received.Reader.WaitToReadAsync(cts.Token)) _received.Reader.TryRead(out _);
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
        catch (OperationCanceledException)
        {
            return new Status(StatusCode.DeadlineExceeded, "the stream is still open");
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
        GC.SuppressFinalize(this);
    }
}
