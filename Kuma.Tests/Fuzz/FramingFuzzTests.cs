using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Kuma.Tests.Fuzz;

/// <summary>
/// Broken HTTP/1.1 on the API port, written byte for byte over TCP: bad chunk sizes, bodies shorter than
/// Content-Length (then a half-close), garbage request lines, huge and malformed headers. The server may
/// refuse or hang up, but never answer 5xx, and it must keep serving.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed partial class FramingFuzzTests(FuzzControlPlane fuzz, ITestOutputHelper output)
{
    private const string Suite = "framing";
    private const int Cases = 400;
    private const int Workers = 16;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly FuzzFindings _findings = new();
    private int _answered;

    [GeneratedRegex(@"HTTP/1\.[01] (\d{3})")]
    private static partial Regex StatusLine();

    [Fact]
    public async Task Broken_http_framing_never_answers_5xx_and_the_server_keeps_serving()
    {
        output.WriteLine(FuzzSeed.Banner(Suite));
        Console.WriteLine(FuzzSeed.Banner(Suite));
        var clock = Stopwatch.StartNew();
        await FuzzWorkers.RunAsync(0, Cases, Workers, (_, i) => Send(i, Generate(new FuzzInputs(FuzzSeed.For(Suite, i)))));
        output.WriteLine($"{Cases} raw requests ({_answered} answered, the rest closed unanswered) in {clock.Elapsed.TotalSeconds:F1}s");
        await fuzz.AssertAliveAsync();
        _findings.AssertNone(output, Suite);
    }

    private async Task Send(int index, byte[] request)
    {
        var shown = $"#{index} raw bytes {FuzzBody.Literal(Encoding.Latin1.GetString(request), 800)}";
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", fuzz.Cp.ApiPort);
            var stream = tcp.GetStream();
            await stream.WriteAsync(request);
            // Half-close: a server waiting for more body sees the end instead of waiting for ever.
            tcp.Client.Shutdown(SocketShutdown.Send);
            var answer = await ReadAll(stream);
            var statuses = StatusLine().Matches(answer).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            if (statuses.Count > 0) Interlocked.Increment(ref _answered);
            // 505 is HTTP's own answer to a version it does not speak (Kestrel's, before any of our code runs); every other 5xx is a bug.
            var unsupportedVersion = !Encoding.Latin1.GetString(request).Split("\r\n")[0].EndsWith(" HTTP/1.1", StringComparison.Ordinal);
            if (statuses.Any(s => s >= 500 && !(s == 505 && unsupportedVersion))) _findings.Add($"answered {string.Join(", ", statuses)}", shown, FuzzBody.Literal(answer, 600));
        }
        catch (TimeoutException)
        {
            _findings.Add($"no answer and no close within {ReadTimeout.TotalSeconds}s after a half-close", shown);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A reset is a legitimate way to refuse broken framing.
        }
    }

    private static async Task<string> ReadAll(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) answer.Write(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException();
        }
        return Encoding.Latin1.GetString(answer.ToArray());
    }

    /// <summary>One raw request: a valid one from the API's own routes, then broken at one layer.</summary>
    private static byte[] Generate(FuzzInputs input)
    {
        var bodies = new FuzzBodies(input);
        var body = input.Chance(0.7) ? bodies.Mutate("""{"type":"Mesh","name":"fzraw"}""").Bytes : bodies.Junk().Bytes;
        var method = input.Pick("PUT", "POST", "GET", "DELETE");
        var target = input.Pick("/meshes/fzraw", "/tokens/user", "/meshes", "/", "/tenants/fzrawt", "/meshes/ro/dataplanes/s1");
        var version = "HTTP/1.1";
        var headers = new List<string> { "Host: 127.0.0.1" };
        if (input.Chance(0.3)) headers.Add("Content-Type: " + input.Pick("application/json", "application/yaml", "garbage"));
        byte[] payload;

        switch (input.Random.Next(9))
        {
            case 0: // chunked with broken chunk sizes or framing
                headers.Add("Transfer-Encoding: chunked");
                var size = input.Pick(body.Length.ToString("x", System.Globalization.CultureInfo.InvariantCulture), "zz", "-1", "FFFFFFFFFFFFFFFFFFFF", "7fffffff", " 5", "5;ext=" + new string('e', 5_000), "", "0x10", "1\n", body.Length + 10 + "");
                payload = Concat(Encoding.ASCII.GetBytes(size + "\r\n"), body,
                    Encoding.ASCII.GetBytes(input.Pick("\r\n0\r\n\r\n", "", "\r\n", "0\r\n\r\n", "\r\n0\r\nTrailer: x\r\n\r\n", "\r\nzz\r\n")));
                break;
            case 1: // body shorter than Content-Length, then the half-close
                headers.Add($"Content-Length: {body.Length + input.Pick(1, 10, 100_000, 10_000_000)}");
                payload = body;
                break;
            case 2: // Content-Length nonsense, or both framings at once
                headers.Add("Content-Length: " + input.Pick("-1", "abc", "1e3", "99999999999999999999", " 5", $"{body.Length}, {body.Length + 1}", "0x10"));
                if (input.Chance(0.3)) headers.Add("Transfer-Encoding: " + input.Pick("chunked", "gzip, chunked", "identity", "chunked, gzip"));
                if (input.Chance(0.3)) headers.Add($"Content-Length: {body.Length + 1}");
                payload = body;
                break;
            case 3: // garbage request line
                return Concat(input.Chance(0.5)
                    ? input.Bytes(input.Between(1, 2_000))
                    : Encoding.UTF8.GetBytes(input.Pick(
                        "GET\r\n\r\n", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", "G\0T / HTTP/1.1\r\n\r\n", "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n",
                        "GET /ünï HTTP/1.1\r\nHost: x\r\n\r\n", "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET  /  HTTP/1.1\r\n\r\n", new string('A', 20_000) + " / HTTP/1.1\r\n\r\n",
                        "GET /" + new string('a', 70_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n\r\n", "GET / HTTP/1.1\nHost: x\n\n",
                        "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /meshes/%00 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /%2F%2F HTTP/1.0\r\n\r\n")));
            case 4: // huge or many headers
                if (input.Chance(0.5)) headers.Add("X-Big: " + new string('h', input.Pick(8_000, 40_000, 200_000)));
                else headers.AddRange(Enumerable.Range(0, input.Pick(100, 1_000, 5_000)).Select(n => $"X-H{n}: v"));
                headers.Add($"Content-Length: {body.Length}");
                payload = body;
                break;
            case 5: // malformed header lines
                headers.Add(input.Pick("NoColon", "Bad Name: x", ": empty-name", " folded: x", "X-A: a\r\n continued", "X-Nul: a\0b", "X-Utf8: ünï", "Authorization: Bearer \u00ff", "Host: a\r\nHost: b", "Content-Length:"));
                headers.Add($"Content-Length: {body.Length}");
                payload = body;
                break;
            case 6: // no Host, or HTTP/1.0 with keep-alive and an unframed body
                headers.Clear();
                version = input.Pick("HTTP/1.1", "HTTP/1.0");
                if (input.Chance(0.5)) headers.Add("Connection: keep-alive");
                payload = body;
                break;
            case 7: // pipelined requests, the second one broken
                headers.Add($"Content-Length: {body.Length}");
                payload = Concat(body, Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{{"));
                break;
            default: // Expect: 100-continue, then a short body
                headers.Add("Expect: " + input.Pick("100-continue", "garbage"));
                headers.Add($"Content-Length: {body.Length + 1}");
                payload = body;
                break;
        }
        var head = $"{method} {target} {version}\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";
        return Concat(Encoding.UTF8.GetBytes(head), payload);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
