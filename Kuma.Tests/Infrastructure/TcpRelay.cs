using System.Net;
using System.Net.Sockets;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// A TCP relay between a process and the port it believes it talks to: it forwards every connection to
/// <c>target</c> until <see cref="Cut"/>, which closes every relayed connection and refuses new ones (a network
/// partition as the client sees it), and <see cref="Restore"/>, which takes connections again on the same port.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;

    public TcpRelay(int port, int target)
    {
        Port = port;
        _target = target;
        Restore();
    }

    public int Port { get; }

    /// <summary>How many connections have been relayed since the start.</summary>
    public int Relayed { get; private set; }

    public void Restore()
    {
        if (_listener is not null) throw new InvalidOperationException("the relay is running");
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _accepting = Task.Run(() => AcceptAsync(listener));
    }

    public async Task CutAsync()
    {
        var listener = _listener ?? throw new InvalidOperationException("the relay is cut already");
        _listener = null;
        listener.Stop();
        await _accepting;
        lock (_open)
        {
            foreach (var client in _open) client.Dispose();
            _open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            Relayed++;
            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // the other side or Cut closed it
        }
        from.Dispose();
        to.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null) await CutAsync();
    }
}
