namespace Kuma.Gateway.Hosting;

public static class HostShutdown
{
    /// <summary>Stops and disposes a host whose start failed or was cancelled part-way, so that what did start (ports, the silo) is released.</summary>
    public static async Task AbandonAsync(WebApplication app)
    {
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(grace.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or AggregateException or ObjectDisposedException)
        {
            // best effort: the start already failed, and that is the error to report
        }
        await app.DisposeAsync();
    }
}
