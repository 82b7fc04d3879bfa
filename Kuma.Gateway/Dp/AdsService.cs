using System.Threading.Channels;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Kuma.Gateway.Api;
using Kuma.Gateway.Diagnostics;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Resources.Core;
using Kuma.Xds.Generation;
using Kuma.Gateway.Dp.Hub;
using Kuma.Gateway.Dp.Sds;
using Kuma.Xds.Protocol;
using Microsoft.Extensions.Logging;

namespace Kuma.Gateway.Dp;

/// <summary>
/// Terminates ADS streams. The token decides tenant and mesh; the stream then follows that mesh's
/// snapshot through this node's hub, and its session grain knows it is the dataplane's live stream.
/// </summary>
public sealed partial class AdsService(
    DataplaneAuthenticator authenticator,
    MeshHub<MeshContext> hub,
    GatewayNode node,
    InsightReporter insight,
    ConfigBuildGate builds,
    IGrainFactory grains,
    DpServerOptions options,
    TimeProvider clock,
    CertificateClock certificateClock,
    CaRollouts rollouts,
    ConnectionAges ages,
    ClusterProbe cluster,
    UsageCounters usage,
    ILogger<AdsService> logger) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    private static readonly TimeSpan FirstRequestTimeout = TimeSpan.FromSeconds(30);

    public override Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        RunAsync(requestStream, responseStream, context, r => r.Node, () => new SotwStream(clock));

    public override Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        RunAsync(requestStream, responseStream, context, r => r.Node, () => new DeltaStream(clock));

    private async Task RunAsync<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, ServerCallContext context,
        Func<TRequest, Envoy.Config.Core.V3.Node?> nodeOf, Func<IXdsEngine<TRequest, TResponse>> newEngine)
        where TRequest : class
    {
        var sessionId = Guid.NewGuid();
        if (node.ShuttingDown) throw ShuttingDown();
        // Cut off from the silos, this node could neither tell the session grain nor follow the mesh: another node can.
        if (cluster.CutOff) throw new RpcException(new Status(StatusCode.Unavailable, ClusterProbe.CutOffMessage));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        node.Register(sessionId, stop);
        var connection = ages.Of(context.GetHttpContext().Connection.Id);
        connection?.Enlist(sessionId, stop);
        try
        {
            using var firstWait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            firstWait.CancelAfter(FirstRequestTimeout);
            if (!await requests.MoveNext(firstWait.Token)) return;
            var first = requests.Current;
            if (nodeOf(first) is not { Id.Length: > 0 } proxyNode)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request of a stream must carry node.id"));

            var identity = await authenticator.AuthenticateAsync(TokenOf(context, proxyNode), proxyNode.Id, context.GetHttpContext().Connection.RemoteIpAddress);
            using var scope = logger.BeginScope(new DpLogScope(identity.Tenant, identity.Mesh, identity.Name));
            var signal = await hub.SubscribeAsync(identity.Tenant, identity.Mesh, stop.Token);
            try
            {
                // Before the session hears of it: a revoked token must not displace the dataplane's live stream.
                DataplaneAuthenticator.RefuseIfRevoked(signal.Watch.Current?.Snapshot, identity);
                var dataplane = SelfRegistration.Parse(identity, proxyNode);
                var session = grains.GetGrain<IDataplaneSessionGrain>(SessionKeys.Dataplane(identity.Tenant, identity.Mesh, identity.Name));
                // The session holds a self-registered dataplane before it is written, so no cleanup can slip in between.
                var hold = dataplane is null ? null : new SelfRegisteredHold(options.SelfRegisteredCleanupDelay, options.SelfRegisteredLease);
                await session.Connect(sessionId, node.InstanceId, node.Reference, hold);
                try
                {
                    if (dataplane is not null)
                    {
                        var version = await SelfRegistration.WriteAsync(grains, identity, dataplane);
                        node.Hold(new LeaseHolder(identity.Tenant, identity.Mesh, identity.Name, sessionId));
                        // The watch was joined before the write (to check revocation first): the first config must
                        // already be the one with the proxy's own Dataplane in it.
                        await WaitUntilVisibleAsync(signal, identity.Name, version, stop.Token);
                    }
                    LogConnected(logger, identity.Tenant, identity.Mesh, identity.Name, sessionId);
                    // The CA grain is the one of the token's tenant and mesh: no name a proxy sends can point elsewhere.
                    var rollout = rollouts.Enter(identity.Tenant, identity.Mesh);
                    try
                    {
                        using var certificates = new StreamCertificates(
                            grains.GetGrain<IMeshCaGrain>(GrainKeys.Mesh(identity.Tenant, identity.Mesh)), rollout, identity.Mesh, identity.Name, certificateClock, logger);
                        using var meter = new StreamMeter(identity.Tenant, usage);
                        await Serve(newEngine(), first, proxyNode, requests, responses, signal, identity, certificates, session, sessionId, meter, stop.Token);
                    }
                    finally
                    {
                        rollouts.Exit(identity.Tenant, identity.Mesh, rollout);
                        await Goodbye(insight.FlushAsync(sessionId));
                    }
                }
                finally
                {
                    await Goodbye(session.Disconnect(sessionId, hold));
                    LogStreamEnded(logger, sessionId, stop.IsCancellationRequested ? "closed" : "ended by the proxy");
                }
            }
            finally
            {
                hub.Unsubscribe(identity.Tenant, identity.Mesh, signal);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            if (node.ShuttingDown) throw ShuttingDown();
            if (connection?.Expired == true) throw AgeReached();
            throw new RpcException(new Status(StatusCode.Cancelled, "a newer stream of this dataplane replaced this one"));
        }
        catch (XdsProtocolException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (Exception e) when (Unavailability.Classify(e) is { } outage)
        {
            // The proxy keeps its last config and reconnects; the outage itself is logged where it was met.
            throw new RpcException(new Status(StatusCode.Unavailable, outage.Answer.Detail));
        }
        finally
        {
            connection?.Leave(sessionId);
            node.Unregister(sessionId);
        }
    }

    /// <summary>
    /// Bounded: a mesh deleted right after the write never shows the dataplane, and a proxy must then hear that it
    /// should come back rather than sit on a stream that will never carry config.
    /// </summary>
    private async Task WaitUntilVisibleAsync(MeshWatch<MeshContext>.Signal signal, string dataplane, long version, CancellationToken stop)
    {
        using var deadline = new CancellationTokenSource(SelfRegisteredVisibleWithin, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop, deadline.Token);
        try
        {
            while (!Holds(signal.Watch.Current, dataplane, version)) await signal.WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                "the dataplane was registered but its mesh did not show it within 30s; reconnect to try again"));
        }
    }

    private static readonly TimeSpan SelfRegisteredVisibleWithin = TimeSpan.FromSeconds(30);

    private static bool Holds(MeshContext? mesh, string dataplane, long version) =>
        mesh is not null && mesh.Snapshot.ByType.TryGetValue(ResourceTypes.Dataplane.Name, out var byName)
        && byName.TryGetValue(dataplane, out var stored) && stored.Version >= version;

    /// <summary>The proxy reconnects on a new connection (GOAWAY is on its way), possibly to another gateway, with the versions it holds.</summary>
    private static RpcException AgeReached() => new(new Status(StatusCode.Unavailable, "the connection reached its maximum age; reconnect"));

    /// <summary>UNAVAILABLE is what proxies take as "try again, elsewhere": Envoy and gRPC clients reconnect at once.</summary>
    private static RpcException ShuttingDown() => new(new Status(StatusCode.Unavailable, "server shutting down"));

    /// <summary>
    /// The last words of a stream to its session grain. While the host stops they get the drain timeout at
    /// most: a silo that does not answer must not hold the stream, and the process, open.
    /// </summary>
    private async Task Goodbye(Task call)
    {
        if (!node.ShuttingDown)
        {
            await call;
            return;
        }
        try
        {
            await call.WaitAsync(options.DrainTimeout);
        }
        catch (TimeoutException)
        {
            _ = call.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            LogGoodbyeDropped(logger, options.DrainTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The silo may be stopping alongside: a failed goodbye must not replace the stream's own
            // UNAVAILABLE ("server shutting down") with an internal error.
            LogGoodbyeFailed(logger, e.GetType().Name, e.Message);
        }
    }

    private async Task Serve<TRequest, TResponse>(
        IXdsEngine<TRequest, TResponse> engine, TRequest first, Envoy.Config.Core.V3.Node proxyNode, IAsyncStreamReader<TRequest> requests,
        IServerStreamWriter<TResponse> responses, MeshWatch<MeshContext>.Signal signal, DataplaneIdentity identity, StreamCertificates certificates,
        IDataplaneSessionGrain session, Guid sessionId, StreamMeter meter, CancellationToken ct)
    {
        var writeTimeout = options.WriteTimeout;
        var reportedSubscriptions = -1;
        // Only a proxyless client's subscriptions are what it gets (_config shows them); a sidecar's config is its
        // Dataplane's, so for sidecars only who they are is reported, once, and no names are kept per stream.
        var proxyless = StreamClient.IsProxyless(proxyNode.UserAgentName);
        // Envoy sends its node once, on the first request; what it says about itself holds for the stream.
        var nodeFacts = ProxyNode.Of(proxyNode.Metadata);
        void ReportInsight()
        {
            StreamClient? client = null;
            if (engine.SubscriptionChanges != reportedSubscriptions && (proxyless || reportedSubscriptions < 0))
            {
                reportedSubscriptions = engine.SubscriptionChanges;
                client = ClientOf(proxyNode, engine);
            }
            meter.Observe(engine.Events);
            foreach (var e in engine.Events)
            {
                if (e.Kind == XdsEventKind.Nacked) LogNacked(logger, e.TypeUrl, e.Version, e.Error ?? "");
            }
            if (engine.Events.Count == 0 && client is null) return;
            insight.Add(session, sessionId, engine.Events, client);
            engine.Events.Clear();
        }

        async Task<ProxyConfig?> Current()
        {
            var started = clock.GetTimestamp();
            var config = await ConfigFor(signal, identity, nodeFacts, ct);
            meter.Generated(clock.GetElapsedTime(started));
            await certificates.RefreshAsync(signal.Watch.Current);
            return config is null || certificates.Secrets.IsEmpty ? config : config.WithSecrets(certificates.Secrets);
        }

        // What the proxy holds of its mesh's CA bundle, for a CA rotation waiting on it.
        var bundleName = MtlsFacts.MeshCaSecretName(identity.Mesh);
        void ObserveBundle() => certificates.Observe(
            engine.Subscriptions.Any(s => s.TypeUrl == TypeUrls.Secret && s.Subscription.Names.Contains(bundleName)),
            engine.AcceptedVersion(TypeUrls.Secret, bundleName));

        engine.OnConfig(await Current());
        await Send(engine.OnRequest(first), responses, writeTimeout, ct);
        ObserveBundle();
        ReportInsight();

        // Requests are read into a small queue: a client that stops reading our responses stalls only itself.
        var inbox = Channel.CreateBounded<TRequest>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var pump = PumpAsync(requests, inbox.Writer, ct);
        Task<bool>? nextRequest = null;
        Task? nextChange = null;
        Task? nextRenewal = null;
        while (true)
        {
            nextRequest ??= inbox.Reader.WaitToReadAsync(ct).AsTask();
            nextChange ??= signal.WaitAsync(ct);
            nextRenewal ??= certificates.RenewalDue;
            var done = await Task.WhenAny(nextRequest, nextChange, nextRenewal);
            if (done == nextRequest)
            {
                var more = await nextRequest;
                nextRequest = null;
                if (!more) break;
                while (inbox.Reader.TryRead(out var request)) await Send(engine.OnRequest(request), responses, writeTimeout, ct);
                ObserveBundle();
            }
            else if (done == nextChange)
            {
                await nextChange;
                nextChange = null;
                await Send(engine.OnConfig(await Current()), responses, writeTimeout, ct);
            }
            else
            {
                // Renewal on the live stream: only the secrets differ, so only they are sent.
                nextRenewal = null;
                await Send(engine.OnConfig(await Current()), responses, writeTimeout, ct);
            }
            ReportInsight();
        }
        await pump;
    }

    /// <summary>The client as its node names itself, and its subscriptions (within the caps <see cref="StreamClient"/> sets).</summary>
    private static StreamClient ClientOf<TRequest, TResponse>(Envoy.Config.Core.V3.Node node, IXdsEngine<TRequest, TResponse> engine) =>
        StreamClient.Of(
            node.UserAgentName,
            node.UserAgentVersionTypeCase == Envoy.Config.Core.V3.Node.UserAgentVersionTypeOneofCase.UserAgentVersion ? node.UserAgentVersion : null,
            StreamClient.IsProxyless(node.UserAgentName)
                ? engine.Subscriptions.Select(s => (s.TypeUrl, s.Subscription.Wildcard, (IEnumerable<string>)s.Subscription.Names))
                : []);

    /// <summary>The proxy's config, as long as the mesh is still the one its token was issued in and has not revoked the token.</summary>
    private async ValueTask<ProxyConfig?> ConfigFor(MeshWatch<MeshContext>.Signal signal, DataplaneIdentity identity, ProxyNode nodeFacts, CancellationToken ct)
    {
        var mesh = signal.Watch.Current;
        if (mesh is null) return null;
        if (mesh.Snapshot.MeshResource.Uid != identity.MeshUid)
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"mesh {identity.Mesh} was deleted and created again since this token was issued"));
        DataplaneAuthenticator.RefuseIfRevoked(mesh.Snapshot, identity);
        // A newer generation of the same mesh that arrives while the build waits is built instead; when its signal is
        // taken, the config is found already built.
        return await builds.ForProxyAsync(
            () => signal.Watch.Current is { } newest && newest.Snapshot.MeshResource.Uid == mesh.Snapshot.MeshResource.Uid ? newest : mesh,
            identity.Name, nodeFacts, ct);
    }

    private static async Task PumpAsync<TRequest>(IAsyncStreamReader<TRequest> requests, ChannelWriter<TRequest> inbox, CancellationToken ct)
    {
        try
        {
            while (await requests.MoveNext(ct)) await inbox.WriteAsync(requests.Current, ct);
            inbox.TryComplete();
        }
        catch (Exception e)
        {
            inbox.TryComplete(e);
        }
    }

    private static async Task Send<TResponse>(List<TResponse> batch, IServerStreamWriter<TResponse> responses, TimeSpan writeTimeout, CancellationToken ct)
    {
        foreach (var response in batch)
        {
            // Most writes complete at once into the connection's buffer; only a write that waits gets a
            // deadline, so thousands of streams pushing together do not each arm a timer.
            var write = responses.WriteAsync(response, ct);
            if (write.IsCompleted)
            {
                await write;
                continue;
            }
            try
            {
                await write.WaitAsync(writeTimeout, ct);
            }
            catch (TimeoutException)
            {
                _ = write.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed: it fails when the stream is torn down
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the proxy took no response for {writeTimeout}; closing its stream"));
            }
        }
    }

    /// <summary>Envoy sends the token as call metadata; proxyless clients cannot, and put it in node metadata.</summary>
    internal static string? TokenOf(ServerCallContext context, Envoy.Config.Core.V3.Node node)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (!string.IsNullOrEmpty(header))
            return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : header.Trim();
        return node.Metadata?.Fields.TryGetValue("dataplane.token", out var value) == true ? value.StringValue : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stream's disconnect was not confirmed within the drain timeout {Timeout}; its insight may show it connected until it reconnects")]
    private static partial void LogGoodbyeDropped(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dataplane {Tenant}/{Mesh}/{Name} connected as session {Session}")]
    private static partial void LogConnected(ILogger logger, string tenant, string mesh, string name, Guid session);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream of session {Session} {How}")]
    private static partial void LogStreamEnded(ILogger logger, Guid session, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "The proxy rejected {TypeUrl} version {Version}: {Error}")]
    private static partial void LogNacked(ILogger logger, string typeUrl, string version, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A stream's last words to its session grain failed while shutting down ({Kind}: {Reason})")]
    private static partial void LogGoodbyeFailed(ILogger logger, string kind, string reason);
}
