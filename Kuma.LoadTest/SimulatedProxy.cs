using System.Diagnostics;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Metadata = Grpc.Core.Metadata;

namespace Kuma.LoadTest;

/// <summary>
/// One simulated sidecar: its own HTTP/2 connection and ADS stream, wildcard CDS and LDS, EDS for the
/// clusters it learns, and an ACK for everything. It decodes only cluster names; nothing else is parsed.
/// </summary>
public sealed class SimulatedProxy(string mesh, string name, bool delta) : IAsyncDisposable
{
    private const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private const string Endpoints = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    private const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";

    private readonly CancellationTokenSource _stop = new();
    private GrpcChannel? _channel;
    private long _lastEndpoints;
    private long _endpointResponses;
    private Task? _run;

    public string Mesh { get; } = mesh;
    public bool Delta { get; } = delta;
    private long _responses;
    private long _errors;
    private readonly TaskCompletionSource _converged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Responses => Interlocked.Read(ref _responses);
    /// <summary>Streams that failed (each is followed by a reconnect).</summary>
    public long Errors => Interlocked.Read(ref _errors);
    /// <summary>Completes with the first endpoints response: the proxy has a usable config.</summary>
    public Task Converged => _converged.Task;

    /// <summary>When the latest endpoints response was acknowledged (Stopwatch ticks).</summary>
    public long LastEndpointsAt => Interlocked.Read(ref _lastEndpoints);
    public long EndpointResponses => Interlocked.Read(ref _endpointResponses);

    public void Start(string dpAddress, string token)
    {
        // One handler per proxy: its own connection, as a real sidecar has.
        _channel = GrpcChannel.ForAddress(dpAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false },
            MaxReceiveMessageSize = 8 * 1024 * 1024,
        });
        var headers = new Metadata { { "authorization", token } };
        var node = new Node { Id = $"{Mesh}.{name}", Metadata = new Struct() };
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
        _run = Task.Run(async () =>
        {
            // Like Envoy, a proxy whose stream fails comes back, with a growing, jittered pause.
            for (var attempt = 1; !_stop.IsCancellationRequested; attempt++)
            {
                await (Delta ? RunDelta(client, headers, node) : RunSotw(client, headers, node));
                if (_stop.IsCancellationRequested) break;
                var pause = TimeSpan.FromMilliseconds(Math.Min(2000, 50 * attempt) + Random.Shared.Next(50));
                try
                {
                    await Task.Delay(pause, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    private async Task RunSotw(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, Metadata headers, Node node)
    {
        try
        {
            using var call = client.StreamAggregatedResources(headers, cancellationToken: _stop.Token);
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = Cluster });
            await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = Listener });
            var endpointNames = new List<string>();
            await foreach (var response in call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                Interlocked.Increment(ref _responses);
                var ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
                if (response.TypeUrl == Cluster)
                {
                    await call.RequestStream.WriteAsync(ack);
                    var names = ServiceClusters(response.Resources.Select(r => r.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name));
                    if (!names.SequenceEqual(endpointNames))
                    {
                        endpointNames = names;
                        var eds = new DiscoveryRequest { TypeUrl = Endpoints };
                        eds.ResourceNames.AddRange(names);
                        await call.RequestStream.WriteAsync(eds);
                    }
                    continue;
                }
                if (response.TypeUrl == Endpoints) ack.ResourceNames.AddRange(endpointNames);
                await call.RequestStream.WriteAsync(ack);
                if (response.TypeUrl == Endpoints) EndpointsArrived();
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            if (!_stop.IsCancellationRequested) Interlocked.Increment(ref _errors);
        }
    }

    private async Task RunDelta(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, Metadata headers, Node node)
    {
        try
        {
            using var call = client.DeltaAggregatedResources(headers, cancellationToken: _stop.Token);
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = node, TypeUrl = Cluster });
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = Listener });
            var subscribed = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var response in call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                Interlocked.Increment(ref _responses);
                var ack = new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
                if (response.TypeUrl == Cluster)
                    ack = new DeltaDiscoveryRequest { TypeUrl = Cluster, ResponseNonce = response.Nonce };
                await call.RequestStream.WriteAsync(ack);
                if (response.TypeUrl == Cluster)
                {
                    var fresh = ServiceClusters(response.Resources.Select(r => r.Name)).Where(subscribed.Add).ToList();
                    if (fresh.Count > 0)
                    {
                        var eds = new DeltaDiscoveryRequest { TypeUrl = Endpoints };
                        eds.ResourceNamesSubscribe.AddRange(fresh);
                        await call.RequestStream.WriteAsync(eds);
                    }
                }
                if (response.TypeUrl == Endpoints) EndpointsArrived();
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            if (!_stop.IsCancellationRequested) Interlocked.Increment(ref _errors);
        }
    }

    private void EndpointsArrived()
    {
        Interlocked.Exchange(ref _lastEndpoints, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _endpointResponses);
        _converged.TrySetResult();
    }

    /// <summary>EDS clusters are the ones named after services; local and passthrough clusters have a ':'.</summary>
    private static List<string> ServiceClusters(IEnumerable<string> names) => [.. names.Where(n => !n.Contains(':', StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run;
        _channel?.Dispose();
        _stop.Dispose();
    }
}
