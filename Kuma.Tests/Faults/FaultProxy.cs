using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Faults;

/// <summary>
/// A proxy as the fault tests need it: one SotW ADS stream for clusters, every push acknowledged, and when the stream
/// ends or cannot be opened, a new one to the next address it was given (as Envoy retries its xDS cluster). It records
/// when it first held each connect timeout of the <c>backend</c> cluster, the policy value the writer changes.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    /// <summary>Envoy waits before retrying its xDS stream; a short fixed pause keeps reconnect storms off the CPU.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    private readonly string[] _addresses;
    private readonly string _token;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<long, DateTime> _firstHeld = [];
    private readonly List<string> _endings = [];
    private readonly Task _run;
    private int _streams;

    public FaultProxy(string[] addresses, string mesh, string name, string token)
    {
        _addresses = addresses;
        _token = token;
        Mesh = mesh;
        Name = name;
        _run = Task.Run(RunAsync);
    }

    public string Mesh { get; }
    public string Name { get; }

    /// <summary>The connect timeout (seconds) of <c>backend</c> in the last push, or null before the first.</summary>
    public long? Current { get; private set; }

    /// <summary>The address of the stream that delivered the last push.</summary>
    public string? ServedBy { get; private set; }

    /// <summary>How many streams got at least as far as a first push.</summary>
    public int Streams => Volatile.Read(ref _streams);

    /// <summary>How each stream or attempt that ended did so (status code and address), in order.</summary>
    public IReadOnlyList<string> Endings
    {
        get
        {
            lock (_endings) return [.. _endings];
        }
    }

    /// <summary>When the proxy first held <paramref name="seconds"/>, if it has.</summary>
    public DateTime? FirstHeld(long seconds)
    {
        lock (_firstHeld) return _firstHeld.TryGetValue(seconds, out var at) ? at : null;
    }

    private async Task RunAsync()
    {
        var node = new Node { Id = $"{Mesh}.{Name}", Cluster = "faults" };
        for (var attempt = 0; !_stop.IsCancellationRequested; attempt++)
        {
            var address = _addresses[attempt % _addresses.Length];
            try
            {
                using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
                using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel)
                    .StreamAggregatedResources(new Grpc.Core.Metadata { { "authorization", _token } }, cancellationToken: _stop.Token);
                await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster }, _stop.Token);
                var first = true;
                await foreach (var response in call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    Record(response, address);
                    if (first) Interlocked.Increment(ref _streams);
                    first = false;
                    await call.RequestStream.WriteAsync(new DiscoveryRequest
                    {
                        TypeUrl = response.TypeUrl,
                        VersionInfo = response.VersionInfo,
                        ResponseNonce = response.Nonce,
                    }, _stop.Token);
                }
                Ended($"OK {address}");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (_stop.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
            catch (RpcException e)
            {
                Ended($"{e.StatusCode} {address}");
            }
            catch (Exception e)
            {
                Ended($"{e.GetType().Name} {address}");
            }
            try
            {
                await Task.Delay(RetryPause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Record(DiscoveryResponse response, string address)
    {
        if (response.TypeUrl != TypeUrls.Cluster) return;
        long? timeout = null;
        foreach (var resource in response.Resources)
        {
            var cluster = resource.Unpack<Cluster>();
            if (cluster.Name == "backend") timeout = cluster.ConnectTimeout?.Seconds;
        }
        var now = DateTime.UtcNow;
        lock (_firstHeld)
        {
            if (timeout is { } held) _firstHeld.TryAdd(held, now);
            Current = timeout;
            ServedBy = address;
        }
    }

    private void Ended(string how)
    {
        lock (_endings) _endings.Add(how);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
