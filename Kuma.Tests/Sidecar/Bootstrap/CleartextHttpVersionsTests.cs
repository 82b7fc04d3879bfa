using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Kuma.Gateway.Dp;
using Kuma.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>How the plaintext DP port tells HTTP/2 with prior knowledge from HTTP/1.1, and why it has to.</summary>
public sealed class CleartextHttpVersionsTests(ITestOutputHelper output)
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private static readonly string[] FirstBytes =
        ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0", "", "P", "PRI * HTTP/2.0\r\n", "POST /bootstrap HTTP/1.1\r\n", "GET / HTTP/1.1", "PRI * HTTP/1.1\r\n"];

    [Fact]
    public void The_first_bytes_decide_as_soon_as_they_can()
    {
        bool? Of(string text) => CleartextHttpVersions.Classify(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)));
        Assert.Equal([true, true, null, null, null, false, false, false], FirstBytes.Select(Of));
    }

    [Fact]
    public async Task A_preface_split_over_reads_is_recognised_and_left_unread_for_the_server()
    {
        var pipe = new Pipe();
        var deciding = CleartextHttpVersions.StartsWithPrefaceAsync(pipe.Reader, CancellationToken.None).AsTask();
        await pipe.Writer.WriteAsync(Preface.AsMemory(0, 5));
        Assert.False(deciding.IsCompleted);
        await pipe.Writer.WriteAsync(Preface.AsMemory(5));
        Assert.True(await deciding);
        var unread = await pipe.Reader.ReadAsync();
        Assert.Equal(Preface, unread.Buffer.ToArray());

        var silent = new Pipe();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Null(await CleartextHttpVersions.StartsWithPrefaceAsync(silent.Reader, timeout.Token));
        var closed = new Pipe();
        await closed.Writer.CompleteAsync();
        Assert.Null(await CleartextHttpVersions.StartsWithPrefaceAsync(closed.Reader, CancellationToken.None));
        var cutShort = new Pipe();
        await cutShort.Writer.WriteAsync(Preface.AsMemory(0, 3));
        await cutShort.Writer.CompleteAsync();
        Assert.False(await CleartextHttpVersions.StartsWithPrefaceAsync(cutShort.Reader, CancellationToken.None));
    }

    [Fact]
    public async Task Kestrel_alone_serves_a_cleartext_http1_and_http2_endpoint_as_http1_only()
    {
        await using var app = await StartAsync(Mode.KestrelHttp1AndHttp2);
        using var client = new HttpClient();
        var h2c = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(app.Port, HttpVersion.Version20)));
        output.WriteLine($"h2c on Kestrel's own Http1AndHttp2 cleartext endpoint: {h2c.Message}");
        Assert.Equal(HttpVersion.Version11, (await client.SendAsync(Get(app.Port, HttpVersion.Version11))).Version);
    }

    /// <summary>
    /// Many new HTTP/2 connections at once, each with one request, all go through the choice in front and are served in
    /// HTTP/2, while HTTP/1.1 still works beside them. (What the look costs is measured outside the tests; see the
    /// commit that added it: nothing measurable on this machine.)
    /// </summary>
    [Fact]
    public async Task Many_new_http2_connections_go_through_the_choice_in_front()
    {
        await using var switched = await StartAsync(Mode.Switched);
        await Parallel.ForAsync(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            // A client of its own per request: a new connection each time.
            using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
            using var response = await client.SendAsync(Get(switched.Port, HttpVersion.Version20), ct);
            Assert.Equal(HttpVersion.Version20, response.Version);
        });
        using var http1 = new HttpClient();
        Assert.Equal(HttpVersion.Version11, (await http1.SendAsync(Get(switched.Port, HttpVersion.Version11))).Version);
    }

    private static HttpRequestMessage Get(int port, Version version) =>
        new(HttpMethod.Get, $"http://127.0.0.1:{port}/") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    private enum Mode { KestrelHttp1AndHttp2, Switched }

    private sealed record RunningApp(WebApplication App, int Port) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await App.DisposeAsync();
    }

    private static async Task<RunningApp> StartAsync(Mode mode)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var versions = new CleartextHttpVersions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (mode == Mode.Switched)
            {
                kestrel.ListenUnixSocket(Path.Combine(Path.GetTempPath(), $"kuma-test-http1-{Guid.NewGuid():N}.sock"), listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(versions.CaptureHttp1);
                });
            }
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = mode == Mode.KestrelHttp1AndHttp2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                if (mode == Mode.Switched) listen.Use(versions.Route);
            });
        });
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Request.Protocol);
        await app.StartAsync();
        return new RunningApp(app, port);
    }
}
