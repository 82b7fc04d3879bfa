namespace Kuma.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes: synchronisation on what the system says, not on sleeps.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
                // the API itself may be unreachable for a moment (a store outage answers 503, not this)
            }
            Assert.True(DateTime.UtcNow < deadline, $"not within {timeout}: {what}");
            await Task.Delay(100);
        }
    }
}
