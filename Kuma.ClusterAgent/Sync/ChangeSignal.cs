using System.Threading.Channels;

namespace Kuma.ClusterAgent.Sync;

/// <summary>Coalescing wake-up: any number of signals while a reconcile runs make one more reconcile, not many.</summary>
internal sealed class ChangeSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Signal() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(CancellationToken ct) => await _channel.Reader.ReadAsync(ct);
}
