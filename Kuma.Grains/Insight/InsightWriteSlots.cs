namespace Kuma.Grains;

/// <summary>
/// Bounds the insight writes one silo has in flight. Connects and disconnects write at once, so a reconnect storm of
/// thousands of proxies would otherwise take the whole connection pool the resource store shares; queued writes carry
/// their grain's newest state when their turn comes, so the queue costs freshness, not correctness.
/// </summary>
public sealed class InsightWriteSlots(int slots) : IDisposable
{
    public const int PerSilo = 8;

    public static readonly InsightWriteSlots Unbounded = new(int.MaxValue);

    private readonly SemaphoreSlim _free = new(slots, slots);

    public void Dispose() => _free.Dispose();

    public async ValueTask<Slot> EnterAsync()
    {
        await _free.WaitAsync();
        return new Slot(_free);
    }

    public readonly struct Slot(SemaphoreSlim free) : IDisposable
    {
        public void Dispose() => free.Release();
    }
}
