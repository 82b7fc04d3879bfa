using System.Diagnostics;
using System.Net;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;
using Xunit.Abstractions;
using Node = Envoy.Config.Core.V3.Node;

namespace Kuma.Tests.Fuzz;

/// <summary>
/// The DP port: <c>POST /bootstrap</c> with mutated bodies, and ADS streams (state of the world and delta,
/// multiplexed on one plaintext channel) with missing nodes, odd node ids, forged and valid tokens,
/// garbage type URLs, nonces and versions, in any order. No 5xx, no gRPC Unknown/Internal (a handler's
/// unhandled exception), and the heap gives back what the streams took.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class DpFuzzTests(FuzzControlPlane fuzz, ITestOutputHelper output)
{
    private const int Bootstraps = 1_000;
    private const int Streams = 500;
    private const int StreamWarmUp = 100;
    private static readonly TimeSpan StreamDeadline = TimeSpan.FromSeconds(5);
    private static readonly string[] KnownTypes =
        [TypeUrls.Listener, TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.RouteConfiguration, "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"];

    private readonly FuzzFindings _findings = new();

    [Fact]
    public async Task Generated_bootstrap_requests_never_answer_5xx()
    {
        const string suite = "bootstrap";
        output.WriteLine(FuzzSeed.Banner(suite));
        Console.WriteLine(FuzzSeed.Banner(suite));
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var client = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://127.0.0.1:{fuzz.Cp.DpPort}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        var clock = Stopwatch.StartNew();
        await FuzzWorkers.RunAsync(0, Bootstraps, 8, async (_, i) =>
        {
            var input = new FuzzInputs(FuzzSeed.For(suite, i));
            var (method, path, accept, body) = GenerateBootstrap(input);
            var shown = $"#{i} {method} {path} Accept={accept ?? "(none)"} body={body.Describe()}";
            // A hand-built message ignores the client's default version: without this it went out as HTTP/1.1,
            // which the plaintext (HTTP/2-only) DP port refuses and cuts off mid-body, so the fuzzer was
            // mostly exercising Kestrel's protocol check rather than the bootstrap endpoint.
            using var message = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = new ByteArrayContent(body.Bytes),
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (body.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", body.ContentType);
            if (accept is not null) message.Headers.TryAddWithoutValidation("Accept", accept);
            try
            {
                using var response = await client.SendAsync(message);
                if ((int)response.StatusCode >= 500)
                    _findings.Add($"answered {(int)response.StatusCode}", shown, FuzzBody.Literal(await response.Content.ReadAsStringAsync(), 600));
            }
            catch (HttpRequestException e) when (path.Contains("%00") && e.HttpRequestError == HttpRequestError.HttpProtocolError)
            {
                // A NUL in :path makes the request malformed; RFC 9113 §8.1.1 has the server reset that
                // stream with PROTOCOL_ERROR, which Kestrel does before any of our code runs.
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _findings.Add($"no answer: {e.GetType().Name}: {e.Message}", shown);
            }
        });
        output.WriteLine($"{Bootstraps} bootstrap requests in {clock.Elapsed.TotalSeconds:F1}s");
        await fuzz.AssertAliveAsync();
        _findings.AssertNone(output, suite);
    }

    [Fact]
    public async Task Generated_ads_streams_never_fail_with_an_unhandled_error_and_leave_no_memory_behind()
    {
        const string suite = "ads";
        output.WriteLine(FuzzSeed.Banner(suite));
        Console.WriteLine(FuzzSeed.Banner(suite));
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{fuzz.Cp.DpPort}", new GrpcChannelOptions { MaxReceiveMessageSize = null });
        var ads = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<StatusCode, int>();
        var clock = Stopwatch.StartNew();

        Task Run(int from, int count) => FuzzWorkers.RunAsync(from, count, 32, async (_, i) =>
        {
            var stream = GenerateStream(new FuzzInputs(FuzzSeed.For(suite, i)), i);
            var status = await stream.RunAsync(ads);
            statuses.AddOrUpdate(status.StatusCode, 1, (_, n) => n + 1);
            if (status.StatusCode is StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss)
                _findings.Add($"stream ended {status.StatusCode}: {status.Detail}", stream.Describe());
        });

        await Run(0, StreamWarmUp);
        var heapBefore = FuzzMemory.Retained();
        await Run(StreamWarmUp, Streams - StreamWarmUp);
        var heapGrowth = FuzzMemory.Retained() - heapBefore;

        output.WriteLine($"{Streams} ADS streams in {clock.Elapsed.TotalSeconds:F1}s; heap grew {heapGrowth / 1024} KiB; ended: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}")));
        await fuzz.AssertAliveAsync();
        _findings.AssertNone(output, suite);
        Assert.True(heapGrowth < FuzzMemory.Bound, $"heap grew by {heapGrowth / 1024 / 1024} MiB over the streams");
    }

    private (string Method, string Path, string? Accept, FuzzBody Body) GenerateBootstrap(FuzzInputs input)
    {
        var bodies = new FuzzBodies(input);
        var token = ChooseToken(input);
        var name = input.Pick("dp-0", "dp-1", "dp-9", "", input.OddText());
        var request = new Dictionary<string, object?>
        {
            ["mesh"] = input.Chance(0.8) ? FuzzControlPlane.DpMesh : input.OddText(),
            ["name"] = name,
            ["dataplaneToken"] = token,
        };
        if (input.Chance(0.4)) request["dataplaneResource"] = input.Chance(0.7) ? Samples.Dataplane(FuzzControlPlane.DpMesh, name) : input.OddText();
        if (input.Chance(0.2)) request["version"] = new { kumaDp = new { version = input.OddText() } };
        var valid = System.Text.Json.JsonSerializer.Serialize(request);
        var body = input.Random.Next(10) switch
        {
            < 6 => bodies.Mutate(valid),
            < 9 => new FuzzBody(Encoding.UTF8.GetBytes(valid), "application/json"),
            _ => bodies.Junk(),
        };
        var method = input.Chance(0.95) ? "POST" : input.Pick("GET", "PUT", "DELETE");
        var path = input.Chance(0.95) ? "/bootstrap" : input.Pick("/bootstrap/", "/bootstrap%00", "/", "/BOOTSTRAP", "/bootstrap?x=%zz");
        return (method, path, input.Chance(0.3) ? input.Pick("application/json", "text/yaml", "*/*") : null, body);
    }

    /// <summary>A valid token of mesh dp (bound to a name or to none) or one that must be refused.</summary>
    private string? ChooseToken(FuzzInputs input) => input.Random.Next(10) switch
    {
        < 4 => input.PickFrom(fuzz.DataplaneTokens),
        < 5 => fuzz.TenantToken, // a user token where a dataplane token belongs
        < 6 => null,
        _ => input.GarbageToken("dp-1"),
    };

    private AdsFuzzStream GenerateStream(FuzzInputs input, int index)
    {
        var bodies = new FuzzBodies(input);
        var token = ChooseToken(input);
        var tokenPlace = input.Random.Next(4); // 0: header with Bearer, 1: raw header, 2: node metadata, 3: nowhere
        var nodeName = input.Pick("dp-0", "dp-1", "dp-2", "dp-3", "dp-7", "free-" + index);
        var nodeId = input.Random.Next(10) switch
        {
            < 6 => $"{FuzzControlPlane.DpMesh}.{nodeName}",
            6 => input.OddText(),
            7 => input.Pick("", ".", "dp.", ".dp-0", "nodot", "ro.dp-0", "dp.dp-0.extra"),
            8 => $"{FuzzControlPlane.DpMesh}.{nodeName}{input.OddText()}",
            _ => $"{input.OddText()}.{nodeName}",
        };
        Node? node = input.Chance(0.1) ? null : new Node { Id = nodeId, Cluster = input.Chance(0.5) ? "c" : input.OddText(), Metadata = new Struct() };
        if (node is not null)
        {
            if (tokenPlace == 2 && token is not null) node.Metadata.Fields["dataplane.token"] = Value.ForString(token);
            if (input.Chance(0.3))
            {
                var dataplane = bodies.Mutate(Samples.Dataplane(FuzzControlPlane.DpMesh, nodeName, port: 8080 + index % 100));
                node.Metadata.Fields["dataplane.resource"] = input.Chance(0.9)
                    ? Value.ForString(Encoding.UTF8.GetString(dataplane.Bytes))
                    : input.Pick(Value.ForNumber(1), Value.ForNull(), Value.ForList(Value.ForString("x")), Value.ForStruct(new Struct()));
            }
            if (input.Chance(0.1)) node.Metadata.Fields[input.OddText()] = Value.ForNumber(double.NaN);
        }
        var header = tokenPlace switch
        {
            0 when token is not null => "Bearer " + token,
            1 when token is not null => token,
            _ => null,
        };
        var delta = input.Chance(0.3);
        var requests = new List<object>();
        for (var n = input.Between(1, 4); n > 0; n--)
        {
            var typeUrl = input.Random.Next(10) switch
            {
                < 7 => input.PickFrom(KnownTypes),
                7 => "",
                8 => "type.googleapis.com/" + input.OddText(),
                _ => input.OddText(),
            };
            var names = Enumerable.Range(0, input.Pick(0, 0, 1, 3, 500)).Select(_ => input.Chance(0.5) ? "backend" : input.OddText()).ToList();
            var nonce = input.Pick("", "", "1", "garbage", "-1", input.OddText());
            var error = input.Chance(0.15) ? new Google.Rpc.Status { Code = input.Pick(0, 3, -1, int.MaxValue), Message = input.OddText() } : null;
            var withNode = requests.Count == 0 ? node : input.Chance(0.2) ? new Node { Id = input.OddText() } : null;
            if (delta)
            {
                var request = new DeltaDiscoveryRequest { Node = withNode, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error };
                request.ResourceNamesSubscribe.AddRange(names);
                if (input.Chance(0.2)) request.ResourceNamesUnsubscribe.AddRange(names.Take(2).Append(input.OddText()));
                if (input.Chance(0.2)) request.InitialResourceVersions[input.Chance(0.5) ? "backend" : input.OddText()] = input.OddText();
                requests.Add(request);
            }
            else
            {
                var request = new DiscoveryRequest { Node = withNode, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error, VersionInfo = input.Pick("", "1", "garbage", input.OddText()) };
                request.ResourceNames.AddRange(names);
                requests.Add(request);
            }
        }
        return new AdsFuzzStream(index, delta, header is null ? null : Ascii(header), requests, input.Chance(0.2));
    }

    /// <summary>gRPC metadata values are ASCII; anything else is replaced so the client can send it at all.</summary>
    private static string Ascii(string text) => new([.. text.Select(c => c is >= ' ' and < (char)127 ? c : '?')]);

    private sealed record AdsFuzzStream(int Index, bool Delta, string? Authorization, IReadOnlyList<object> Requests, bool ReadFirst)
    {
        public async Task<Status> RunAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient ads)
        {
            var headers = new Metadata();
            if (Authorization is not null) headers.Add("authorization", Authorization);
            var options = new CallOptions(headers, DateTime.UtcNow + StreamDeadline);
            try
            {
                if (Delta)
                {
                    using var call = ads.DeltaAggregatedResources(options);
                    await Exchange(call.RequestStream, call.ResponseStream, Requests.Cast<DeltaDiscoveryRequest>());
                }
                else
                {
                    using var call = ads.StreamAggregatedResources(options);
                    await Exchange(call.RequestStream, call.ResponseStream, Requests.Cast<DiscoveryRequest>());
                }
                return Status.DefaultSuccess;
            }
            catch (RpcException e)
            {
                return e.Status;
            }
        }

        private async Task Exchange<TRequest, TResponse>(IClientStreamWriter<TRequest> requests, IAsyncStreamReader<TResponse> responses, IEnumerable<TRequest> toSend)
        {
            var first = true;
            foreach (var request in toSend)
            {
                await requests.WriteAsync(request);
                // Sometimes wait for an answer between requests, so later ones meet a stream that is serving.
                if (first && ReadFirst) await responses.MoveNext(CancellationToken.None);
                first = false;
            }
            await requests.CompleteAsync();
            while (await responses.MoveNext(CancellationToken.None)) { }
        }

        public string Describe() =>
            $"#{Index} {(Delta ? "delta" : "sotw")} authorization={(Authorization is null ? "(none)" : FuzzBody.Literal(Authorization, 300))} " +
            (ReadFirst ? "reads after the first request; " : "") +
            $"requests: {string.Join(" | ", Requests.Select(r => Show((Google.Protobuf.IMessage)r)))}";

        /// <summary>Protobuf's JSON refuses lone surrogates; such a request is shown as its wire bytes instead.</summary>
        private static string Show(Google.Protobuf.IMessage request)
        {
            try
            {
                return FuzzBody.Literal(request.ToString() ?? "", 1_500);
            }
            catch (ArgumentException)
            {
                var wire = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(request));
                return "protobuf base64:" + (wire.Length > 4_000 ? wire[..4_000] + $"…(+{wire.Length - 4_000} chars; replay by seed and index)" : wire);
            }
        }
    }
}
