using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Kuma.Gateway.Dp;

/// <summary>
/// HTTP/1.1 and HTTP/2 on one plaintext port: kuma-dp posts <c>/bootstrap</c> in HTTP/1.1 while Envoy's ADS cluster
/// and gRPC clients speak HTTP/2 with prior knowledge. Kestrel (.NET 10) serves every cleartext connection of an
/// HTTP/1.1-and-HTTP/2 endpoint as HTTP/1.1, so the port itself is HTTP/2 only, and a connection whose first bytes
/// are not HTTP/2's connection preface is handed to the HTTP/1.1 pipeline of a private endpoint that accepts nothing
/// itself. Deciding costs one look at the first bytes of a connection; streams and messages pay nothing.
/// </summary>
public sealed class CleartextHttpVersions
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private ConnectionDelegate? _http1;

    /// <summary>How long a new connection may stay silent before it is closed (Kestrel's own timers start after the choice).</summary>
    public TimeSpan FirstBytesTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Middleware of the private endpoint: keeps its HTTP/1.1 pipeline for the port's use and closes anything that connects to it directly.</summary>
    public ConnectionDelegate CaptureHttp1(ConnectionDelegate http1)
    {
        _http1 = http1;
        return connection =>
        {
            connection.Abort();
            return Task.CompletedTask;
        };
    }

    /// <summary>Middleware of the port: HTTP/2's preface goes on through the port's pipeline, anything else to HTTP/1.1.</summary>
    public ConnectionDelegate Route(ConnectionDelegate http2) => async connection =>
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(FirstBytesTimeout);
        var isHttp2 = await StartsWithPrefaceAsync(connection.Transport.Input, timeout.Token);
        if (isHttp2 is null || (isHttp2 == false && _http1 is null))
        {
            connection.Abort();
            return;
        }
        await (isHttp2.Value ? http2 : _http1!)(connection);
    };

    /// <summary>
    /// Whether the connection opens with HTTP/2's preface, looking without consuming; null when it closed or stayed
    /// silent before saying anything.
    /// </summary>
    internal static async ValueTask<bool?> StartsWithPrefaceAsync(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            var buffer = result.Buffer;
            var verdict = Classify(buffer);
            if (verdict is null && !result.IsCompleted && !result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End); // a prefix of the preface so far: wait for more
                continue;
            }
            input.AdvanceTo(buffer.Start);
            return verdict ?? (buffer.IsEmpty ? null : false);
        }
    }

    /// <summary>True: the preface; false: not it; null: a prefix of it so far.</summary>
    internal static bool? Classify(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface[..length])) return false;
        return length == Preface.Length ? true : null;
    }
}
