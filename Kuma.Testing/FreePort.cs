using System.Net;
using System.Net.Sockets;

namespace Kuma.Testing;

public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A port nothing listens on now and that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Handed.Add(port)) return port;
            }
        }
    }
}
