using System.Net.Sockets;
using System.Text;

namespace Kuma.Tests.Infrastructure;

/// <summary>
/// Writes HTTP/1.1 by hand, for requests HttpClient refuses to send: broken framing, bodies that end early,
/// percent-encoding it would normalise.
/// </summary>
public static class RawHttp
{
    /// <summary>What came back: the status code (null when the server closed without answering), the whole text, and the body.</summary>
    public sealed record Answer(int? Status, string Text)
    {
        public string Body => BodyOf(Text);
    }

    /// <param name="halfClose">Shut our sending side after writing, so the server sees the body end early.</param>
    public static async Task<Answer> SendAsync(int port, string request, bool halfClose = false)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        if (halfClose) client.Client.Shutdown(SocketShutdown.Send);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                if (IsComplete(received)) break;
            }
        }
        catch (IOException)
        {
            // a reset after (or instead of) the answer: judge whatever arrived
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        return new Answer(ParseStatus(text), text);
    }

    private static string BodyOf(string text)
    {
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0) return "";
        var body = text[(headEnd + 4)..];
        if (!text[..headEnd].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) return body;
        var joined = new StringBuilder();
        while (body.IndexOf("\r\n", StringComparison.Ordinal) is var lineEnd and > 0
            && int.TryParse(body[..lineEnd], System.Globalization.NumberStyles.HexNumber, null, out var size) && size > 0
            && body.Length >= lineEnd + 2 + size)
        {
            joined.Append(body, lineEnd + 2, size); // our answers are ASCII JSON: characters are bytes
            body = body[(lineEnd + 2 + size)..].TrimStart('\r', '\n');
        }
        return joined.ToString();
    }

    private static int? ParseStatus(string text)
    {
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || text.Length < 12) return null;
        return int.Parse(text.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops reading once a Content-Length body has fully arrived, so a kept-alive connection does not stall the test.</summary>
    private static bool IsComplete(MemoryStream received)
    {
        var text = Encoding.UTF8.GetString(received.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0) return false;
        foreach (var line in text[..headEnd].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line["Content-Length:".Length..].Trim(), out var length))
                return Encoding.UTF8.GetByteCount(text[(headEnd + 4)..]) >= length;
        }
        return false;
    }
}
