namespace Kuma.Gateway.Diagnostics;

/// <summary>
/// When the cluster last answered this node: any grain call that came back, the probe's or another. A saturated silo
/// answers slowly but answers, so a connect storm does not read as a lost cluster; a cut-off node gets no answer at all.
/// </summary>
public sealed class ClusterContact(TimeProvider clock)
{
    private long _lastAnswerTicks;

    /// <summary>Null before the first answer.</summary>
    public DateTimeOffset? LastAnswer => Interlocked.Read(ref _lastAnswerTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Answered() => Interlocked.Exchange(ref _lastAnswerTicks, clock.GetUtcNow().UtcTicks);

    /// <summary>
    /// Whether a failed call still came back from a silo: a grain's own exception did; Orleans' transport and timeout
    /// failures (no silo reached, no response) did not.
    /// </summary>
    public static bool IsAnswer(Exception e) => e is not (OrleansException or TimeoutException or OperationCanceledException);
}

/// <summary>Records every grain call the cluster answered in <see cref="ClusterContact"/>.</summary>
public sealed class ClusterContactFilter(ClusterContact contact) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e)
        {
            if (ClusterContact.IsAnswer(e)) contact.Answered();
            throw;
        }
        contact.Answered();
    }
}
