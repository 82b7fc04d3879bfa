using System.Diagnostics;
using System.Net.Sockets;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Kuma.LoadTest.Baseline;
using Metadata = Grpc.Core.Metadata;

namespace Kuma.LoadTest;

/// <summary>
/// One simulated sidecar: its own HTTP/2 connection and ADS stream, wildcard CDS and LDS, EDS for the
/// clusters it learns, and an ACK for every well-formed response. It decodes cluster names and checks
/// the envelope (type URLs, versions, nonces); a response that fails the check is NACKed and counted.
/// </summary>
public sealed class SimulatedProxy(string mesh, string name, bool delta) : IAsyncDisposable
{
    private const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private const string Endpoints = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    private const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private CancellationTokenSource _connection = new();
    private Socket? _socket;
    private TaskCompletionSource _converged = NewSignal();
    private TaskCompletionSource<long> _nextEndpoints = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _run;
    private long _lastEndpoints;
    private long _endpointResponses;
    private long _errors;
    private long _nacks;

    public string Mesh { get; } = mesh;
    public string Name { get; } = name;
    public string NodeId => $"{Mesh}.{Name}";
    public bool Delta { get; } = delta;

    /// <summary>Streams that failed, other than by <see cref="DropConnection"/> or disposal (each is followed by a reconnect).</summary>
    public long Errors => Interlocked.Read(ref _errors);
    /// <summary>Responses this proxy rejected.</summary>
    public long Nacks => Interlocked.Read(ref _nacks);

    /// <summary>Completes with the first endpoints response on the current connection: the proxy has a usable config.</summary>
    public Task Converged
    {
        get
        {
            lock (_lock) return _converged.Task;
        }
    }

    public long EndpointResponses => Interlocked.Read(ref _endpointResponses);

    /// <summary>When set, every response received is kept, tagged with the phase current at its arrival.</summary>
    public ResponseLog? Log { get; init; }

    public void Start(string dpAddress, string? token)
    {
        var headers = new Metadata();
        if (token is not null) headers.Add("authorization", token);
        var node = new Node { Id = NodeId, Metadata = new Struct() };
        _run = Task.Run(async () =>
        {
            // Like Envoy, a proxy whose stream fails comes back, with a growing, jittered pause;
            // a deliberate drop comes back at once.
            for (var attempt = 1; !_stop.IsCancellationRequested; attempt++)
            {
                CancellationToken connection;
                lock (_lock) connection = _connection.Token;
                // One channel per connection: its own TCP connection, as a real sidecar has.
                bool failed;
                using (var channel = GrpcChannel.ForAddress(dpAddress, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, ConnectCallback = Connect },
                    MaxReceiveMessageSize = 8 * 1024 * 1024,
                }))
                {
                    var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
                    failed = await (Delta ? RunDelta(client, headers, node, connection) : RunSotw(client, headers, node, connection));
                }
                if (_stop.IsCancellationRequested) break;
                if (!failed)
                {
                    attempt = 0;
                    continue;
                }
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 * attempt) + Random.Shared.Next(50)), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    /// <summary>Closes the connection, as a network cut or a restarting gateway would; the proxy reconnects at once.</summary>
    public void DropConnection()
    {
        CancellationTokenSource old;
        Socket? socket;
        lock (_lock)
        {
            old = _connection;
            socket = _socket;
            _connection = new CancellationTokenSource();
            _converged = NewSignal();
        }
        old.Cancel();
        old.Dispose();
        // The socket goes at once, not when the HTTP stack gets round to it: ten thousand proxies
        // reconnecting together must not hold twice as many descriptors.
        socket?.Dispose();
    }

    private async ValueTask<Stream> Connect(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        lock (_lock) _socket = socket;
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <returns>Whether the stream failed (rather than being dropped on purpose or stopped).</returns>
    private async Task<bool> RunSotw(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, Metadata headers, Node node, CancellationToken connection)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(connection, _stop.Token);
        try
        {
            using var call = client.StreamAggregatedResources(headers, cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = Cluster }, cancel.Token);
            await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = Listener }, cancel.Token);
            var endpointNames = new List<string>();
            var accepted = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancel.Token))
            {
                Received(response);
                var problem = Check(response);
                var ack = new DiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
                if (problem is null) accepted[response.TypeUrl] = response.VersionInfo;
                ack.VersionInfo = accepted.GetValueOrDefault(response.TypeUrl, "");
                ack.ErrorDetail = Rejection(problem);
                if (response.TypeUrl == Endpoints) ack.ResourceNames.AddRange(endpointNames);
                await call.RequestStream.WriteAsync(ack, cancel.Token);
                if (problem is not null) continue;
                if (response.TypeUrl == Cluster)
                {
                    var names = ServiceClusters(response.Resources.Select(r => r.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name));
                    if (!names.SequenceEqual(endpointNames))
                    {
                        endpointNames = names;
                        var eds = new DiscoveryRequest { TypeUrl = Endpoints, VersionInfo = accepted.GetValueOrDefault(Endpoints, "") };
                        eds.ResourceNames.AddRange(names);
                        await call.RequestStream.WriteAsync(eds, cancel.Token);
                    }
                }
                if (response.TypeUrl == Endpoints) EndpointsArrived();
            }
            return !_stop.IsCancellationRequested && !connection.IsCancellationRequested;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            return Failed(e, connection);
        }
    }

    private async Task<bool> RunDelta(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, Metadata headers, Node node, CancellationToken connection)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(connection, _stop.Token);
        try
        {
            using var call = client.DeltaAggregatedResources(headers, cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { Node = node, TypeUrl = Cluster }, cancel.Token);
            await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = Listener }, cancel.Token);
            var subscribed = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancel.Token))
            {
                Received(response);
                var problem = Check(response);
                var ack = new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce, ErrorDetail = Rejection(problem) };
                await call.RequestStream.WriteAsync(ack, cancel.Token);
                if (problem is not null) continue;
                if (response.TypeUrl == Cluster)
                {
                    var fresh = ServiceClusters(response.Resources.Select(r => r.Name)).Where(subscribed.Add).ToList();
                    if (fresh.Count > 0)
                    {
                        var eds = new DeltaDiscoveryRequest { TypeUrl = Endpoints };
                        eds.ResourceNamesSubscribe.AddRange(fresh);
                        await call.RequestStream.WriteAsync(eds, cancel.Token);
                    }
                }
                if (response.TypeUrl == Endpoints) EndpointsArrived();
            }
            return !_stop.IsCancellationRequested && !connection.IsCancellationRequested;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            return Failed(e, connection);
        }
    }

    private bool Failed(Exception e, CancellationToken connection)
    {
        if (_stop.IsCancellationRequested || connection.IsCancellationRequested) return false;
        // Said once per failure: a failed stream fails the run, and this says why.
        Console.Error.WriteLine($"proxy {NodeId}: stream failed: {(e is RpcException r ? $"{r.StatusCode} {r.Status.Detail}" : e.GetType().Name + " " + e.Message)}");
        Interlocked.Increment(ref _errors);
        return true;
    }

    private void Received(IMessage response) => Log?.Add(response.ToByteArray());

    /// <summary>The error detail of an ACK for a response with <paramref name="problem"/> (none when it is well-formed).</summary>
    private Google.Rpc.Status? Rejection(string? problem)
    {
        if (problem is null) return null;
        Interlocked.Increment(ref _nacks);
        return new Google.Rpc.Status { Code = 3, Message = problem };
    }

    /// <summary>What Envoy would refuse in the envelope: a nonce missing, resources of another type.</summary>
    private static string? Check(DiscoveryResponse response)
    {
        if (response.Nonce.Length == 0) return "response without nonce";
        if (response.VersionInfo.Length == 0) return "response without version_info";
        return response.Resources.Any(r => r.TypeUrl != response.TypeUrl) ? $"a resource is not of type {response.TypeUrl}" : null;
    }

    private static string? Check(DeltaDiscoveryResponse response)
    {
        if (response.Nonce.Length == 0) return "response without nonce";
        foreach (var r in response.Resources)
        {
            if (r.Name.Length == 0 || r.Version.Length == 0) return "a resource without name or version";
            if (r.Resource_ is { } body && body.TypeUrl != response.TypeUrl) return $"resource {r.Name} is not of type {response.TypeUrl}";
        }
        return null;
    }

    /// <summary>When the first endpoints response after <paramref name="since"/> (Stopwatch ticks) arrived.</summary>
    public async Task<long> EndpointsAfter(long since)
    {
        while (true)
        {
            Task<long> next;
            lock (_lock)
            {
                if (_lastEndpoints > since) return _lastEndpoints;
                next = _nextEndpoints.Task;
            }
            await next;
        }
    }

    private void EndpointsArrived()
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _endpointResponses);
        TaskCompletionSource<long> arrived;
        lock (_lock)
        {
            _lastEndpoints = now;
            _converged.TrySetResult();
            arrived = _nextEndpoints;
            _nextEndpoints = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        arrived.SetResult(now);
    }

    /// <summary>EDS clusters are the ones named after services; local and passthrough clusters have a ':'.</summary>
    private static List<string> ServiceClusters(IEnumerable<string> names) => [.. names.Where(n => !n.Contains(':', StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run;
        _stop.Dispose();
        lock (_lock) _connection.Dispose();
    }
}
