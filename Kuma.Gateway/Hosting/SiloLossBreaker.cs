using Orleans;

namespace Kuma.Gateway.Hosting;

/// <summary>
/// Fails the grain calls a standalone gateway has in flight when one of its connections to a silo closes. Orleans
/// settles a client's call only by its answer or by the response timeout (30 s), never by the loss of the silo that
/// holds the callee: without this, a mesh's long poll and the writes waiting on a killed silo would hang that long.
/// Calls that were bound elsewhere fail too (the client cannot tell which silo a call went to); they answer as an
/// outage (503, or UNAVAILABLE to a proxy) and the mesh watch simply polls again.
/// </summary>
public sealed partial class SiloLossBreaker(ILogger<SiloLossBreaker> logger) : IOutgoingGrainCallFilter, IClusterConnectionStatusObserver
{
    private TaskCompletionSource _lost = NewSignal();

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var lost = Volatile.Read(ref _lost).Task;
        var call = context.Invoke();
        if (call.IsCompleted || await Task.WhenAny(call, lost) == call)
        {
            await call;
            return;
        }
        _ = call.ContinueWith(static t => t.Exception, TaskScheduler.Default); // its late end is of no interest
        throw new TimeoutException($"a connection to a silo closed while {context.InterfaceMethod?.Name} was in flight");
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways >= previousNumberOfGateways) return;
        LogSiloConnectionLost(logger, previousNumberOfGateways, currentNumberOfGateways);
        Interlocked.Exchange(ref _lost, NewSignal()).TrySetResult();
    }

    public void NotifyClusterConnectionLost()
    {
        // Every connection closing also lowers the gateway count, which is where calls are failed.
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "A connection to a silo closed ({Previous} -> {Current} connected); grain calls in flight are failed so that they are retried")]
    private static partial void LogSiloConnectionLost(ILogger logger, int previous, int current);
}
