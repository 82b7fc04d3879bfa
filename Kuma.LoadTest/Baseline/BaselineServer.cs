using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kuma.LoadTest.Baseline;

/// <summary>
/// The physical limit to compare the control plane with: a gRPC server that knows nothing of meshes and
/// only streams the responses the control plane sent, decoded once at start-up. A stream gets its
/// proxy's phase-0 responses when it opens; <c>POST /push/{phase}</c> sends every open stream its
/// responses of that phase. Requests are read and dropped.
/// </summary>
public sealed class BaselineServer(Recording recording)
{
    private readonly ConcurrentDictionary<Guid, Channel<int>> _streams = new();
    private readonly Dictionary<string, (int Phase, DiscoveryResponse Response)[]> _sotw = Decode(recording, delta: false, DiscoveryResponse.Parser.ParseFrom);
    private readonly Dictionary<string, (int Phase, DeltaDiscoveryResponse Response)[]> _delta = Decode(recording, delta: true, DeltaDiscoveryResponse.Parser.ParseFrom);

    public static async Task<WebApplication> StartAsync(Recording recording, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(o => o.Backlog = 4096);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxSendMessageSize = null);
        builder.Services.AddSingleton(new BaselineServer(recording));
        builder.Services.AddSingleton<Service>();
        var app = builder.Build();
        app.MapGrpcService<Service>();
        app.MapPost("/push/{phase:int}", (int phase, BaselineServer server) => Results.Ok(server.Push(phase)));
        await app.StartAsync();
        return app;
    }

    /// <returns>How many streams were told.</returns>
    private int Push(int phase)
    {
        var told = 0;
        foreach (var stream in _streams.Values)
        {
            if (stream.Writer.TryWrite(phase)) told++;
        }
        return told;
    }

    private async Task Serve<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, ServerCallContext context,
        Func<TRequest, string?> nodeOf, IReadOnlyDictionary<string, (int Phase, TResponse Response)[]> scripts)
    {
        if (!await requests.MoveNext(context.CancellationToken)) return;
        var tenant = context.RequestHeaders.GetValue("authorization") ?? "";
        if (nodeOf(requests.Current) is not { } node || !scripts.TryGetValue(Recording.Key(tenant, node), out var script))
            throw new RpcException(new Status(StatusCode.NotFound, "no recording for this tenant and node"));
        var id = Guid.NewGuid();
        var pushes = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });
        _streams[id] = pushes;
        try
        {
            var drain = Task.Run(async () =>
            {
                while (await requests.MoveNext(context.CancellationToken))
                {
                }
            });
            await Send(script, 0, responses);
            await foreach (var phase in pushes.Reader.ReadAllAsync(context.CancellationToken)) await Send(script, phase, responses);
            await drain;
        }
        finally
        {
            _streams.TryRemove(id, out _);
        }
    }

    private static async Task Send<TResponse>((int Phase, TResponse Response)[] script, int phase, IServerStreamWriter<TResponse> responses)
    {
        foreach (var (p, response) in script)
        {
            if (p == phase) await responses.WriteAsync(response);
        }
    }

    private static Dictionary<string, (int, T)[]> Decode<T>(Recording recording, bool delta, Func<byte[], T> parse) =>
        recording.Logs.Where(l => l.Value.Delta == delta)
            .ToDictionary(l => l.Key, l => l.Value.Entries.Select(e => (e.Phase, parse(e.Bytes))).ToArray(), StringComparer.Ordinal);

    private sealed class Service(BaselineServer server) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
    {
        public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requests, IServerStreamWriter<DiscoveryResponse> responses, ServerCallContext context) =>
            server.Serve(requests, responses, context, r => r.Node?.Id, server._sotw);

        public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requests, IServerStreamWriter<DeltaDiscoveryResponse> responses, ServerCallContext context) =>
            server.Serve(requests, responses, context, r => r.Node?.Id, server._delta);
    }
}
