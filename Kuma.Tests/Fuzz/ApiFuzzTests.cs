using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kuma.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kuma.Tests.Fuzz;

/// <summary>
/// Generated REST API requests: known routes with mangled segments, paging and filter garbage, every
/// kind of caller, and mutated Kuma bodies. No answer may be 5xx, every JSON 4xx is in Kuma's error
/// shape, a refused write changes nothing, and the heap does not keep what the run allocated.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ApiFuzzTests(FuzzControlPlane fuzz, ITestOutputHelper output)
{
    private const string Suite = "api";
    private const int Requests = 10_000;
    private const int WarmUp = 1_000;
    private const int Workers = 8;
    /// <summary>Every this many requests a worker puts its meshes back, in case a generated DELETE removed them.</summary>
    private const int RecreateEvery = 50;

    private static readonly string[] ReadOnlyMethods = ["GET", "HEAD", "OPTIONS"];

    private readonly FuzzFindings _findings = new();
    private int _refusedWrites;
    private int _unsendable;

    private sealed record ApiRequest(int Index, string Method, string Path, string? Authorization, bool Admin, IReadOnlyList<(string Name, string Value)> Headers, FuzzBody Body)
    {
        public bool Mutating => !ReadOnlyMethods.Contains(Method);

        public string Describe(Uri? sent) =>
            $"#{Index} {Method} {FuzzBody.Literal(Path, 400)}" + (sent is null ? "" : $" (sent as {FuzzBody.Literal(sent.PathAndQuery, 400)})") +
            $" authorization={(Authorization is null ? "none (loopback admin)" : FuzzBody.Literal(Authorization, 300))}" +
            string.Concat(Headers.Select(h => $" {h.Name}={FuzzBody.Literal(h.Value, 100)}")) + $" body={Body.Describe()}";
    }

    [Fact]
    public async Task Ten_thousand_generated_requests_never_answer_5xx_keep_the_error_shape_and_refused_writes_change_nothing()
    {
        output.WriteLine(FuzzSeed.Banner(Suite));
        Console.WriteLine(FuzzSeed.Banner(Suite));
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{fuzz.Cp.ApiPort}"), Timeout = TimeSpan.FromSeconds(30) };
        var userKeyId = KeyIdOf(fuzz.TenantToken);
        var clock = Stopwatch.StartNew();

        await FuzzWorkers.RunAsync(0, WarmUp, Workers, (w, i) => Step(client, w, i, userKeyId));
        var heapBefore = FuzzMemory.Retained();
        await FuzzWorkers.RunAsync(WarmUp, Requests - WarmUp, Workers, (w, i) => Step(client, w, i, userKeyId));
        var heapGrowth = FuzzMemory.Retained() - heapBefore;

        output.WriteLine($"{Requests} requests ({_refusedWrites} refused writes checked, {_unsendable} not sendable by HttpClient) in {clock.Elapsed.TotalSeconds:F1}s; heap grew {heapGrowth / 1024} KiB");
        await fuzz.AssertAliveAsync();
        _findings.AssertNone(output, Suite);
        Assert.True(heapGrowth < FuzzMemory.Bound, $"heap grew by {heapGrowth / 1024 / 1024} MiB over the run");
    }

    private async Task Step(HttpClient client, int worker, int index, string userKeyId)
    {
        if (index / Workers % RecreateEvery == 0) await RecreateWorkerMeshes(client, worker);
        var request = Generate(new FuzzInputs(FuzzSeed.For(Suite, index)), index, worker, userKeyId);
        Uri? sent = null;
        try
        {
            // A refused write must leave its target as it was: read it (as the same caller) before and after.
            var checkAuthorization = request.Admin || request.Authorization == Bearer(fuzz.TenantToken) ? request.Authorization : null;
            Snapshot? before = request.Mutating ? await Read(client, request.Path, checkAuthorization) : null;

            using var message = ToMessage(client, request);
            sent = message.RequestUri;
            using var response = await client.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (status >= 500) _findings.Add($"answered {status}", request.Describe(sent), Shorten(body));
            else if (status >= 400) CheckErrorShape(request, sent, status, response.Content.Headers.ContentType?.MediaType, body);

            if (before is not null && status is >= 400 and < 500 && !before.Value.IsList)
            {
                Interlocked.Increment(ref _refusedWrites);
                var after = await Read(client, request.Path, checkAuthorization);
                if (after != before)
                    _findings.Add($"refused with {status} but changed what GET answers", request.Describe(sent), $"before: {before}\n  after: {after}");
            }
        }
        catch (UriFormatException)
        {
            Interlocked.Increment(ref _unsendable);
        }
        catch (HttpRequestException e) when (sent?.OriginalString.Contains("%00", StringComparison.Ordinal) == true && e.InnerException is IOException)
        {
            // Kestrel refuses a NUL in the path before any of our code runs, answers 400 and closes the connection
            // without reading the body; a large body still being uploaded then fails on the client's side.
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            _findings.Add($"no answer: {e.GetType().Name}: {e.Message}", request.Describe(sent));
        }
    }

    private readonly record struct Snapshot(int Status, string Body, bool IsList)
    {
        public override string ToString() => $"{Status} {Shorten(Body)}";
    }

    private static async Task<Snapshot> Read(HttpClient client, string path, string? authorization)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, Absolute(client, path));
        if (authorization is not null) message.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.SendAsync(message);
        var body = await response.Content.ReadAsStringAsync();
        return new Snapshot((int)response.StatusCode, body, body.StartsWith("{\"total\"", StringComparison.Ordinal));
    }

    private void CheckErrorShape(ApiRequest request, Uri? sent, int status, string? mediaType, string body)
    {
        if (body.Length == 0 || request.Method == "HEAD") return;
        if (mediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true && !body.StartsWith('{')) return;
        try
        {
            using var error = JsonDocument.Parse(body);
            var root = error.RootElement;
            var shaped = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.GetInt32() == status
                && root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String
                && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String;
            if (!shaped) _findings.Add($"{status} not in Kuma's error shape", request.Describe(sent), Shorten(body));
        }
        catch (JsonException)
        {
            _findings.Add($"{status} with a JSON content type but no JSON body", request.Describe(sent), Shorten(body));
        }
    }

    /// <summary>Absolute, so a path starting with "//" stays a path instead of naming another host.</summary>
    private static Uri Absolute(HttpClient client, string path) => new(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path);

    private static HttpRequestMessage ToMessage(HttpClient client, ApiRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), Absolute(client, request.Path));
        if (request.Authorization is not null) message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
        foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
        if (request.Body.Bytes.Length > 0 || request.Body.ContentType is not null)
        {
            message.Content = new ByteArrayContent(request.Body.Bytes);
            if (request.Body.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", request.Body.ContentType);
        }
        return message;
    }

    /// <summary>Worker meshes in the fuzz tenant and in the admin's default tenant; generated DELETEs may remove them.</summary>
    private async Task RecreateWorkerMeshes(HttpClient client, int worker)
    {
        var mesh = WorkerMesh(worker);
        foreach (var auth in new[] { Bearer(fuzz.TenantToken), null })
        {
            using var message = new HttpRequestMessage(HttpMethod.Put, $"/meshes/{mesh}") { Content = ControlPlane.Json($$"""{"type":"Mesh","name":"{{mesh}}"}""") };
            if (auth is not null) message.Headers.TryAddWithoutValidation("Authorization", auth);
            using var response = await client.SendAsync(message);
            if ((int)response.StatusCode >= 500) _findings.Add($"re-creating a worker mesh answered {(int)response.StatusCode}", $"PUT /meshes/{mesh}");
        }
    }

    private static string WorkerMesh(int worker) => $"fz{worker}";

    private static string Bearer(string token) => "Bearer " + token;

    private static string KeyIdOf(string token) =>
        JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(0, token.IndexOf('.', StringComparison.Ordinal)))).RootElement.GetProperty("kid").GetString()!;

    private static string Shorten(string text) => FuzzBody.Literal(text, 600);

    /// <summary>
    /// One request. Writes only ever name the worker's own meshes, resources and tenants (mangled or not),
    /// so the before/after check of a refused write never sees another worker's success.
    /// </summary>
    private ApiRequest Generate(FuzzInputs input, int index, int worker, string userKeyId)
    {
        var bodies = new FuzzBodies(input);
        var method = input.Random.Next(100) switch
        {
            < 35 => "GET",
            < 65 => "PUT",
            < 75 => "DELETE",
            < 85 => "POST",
            _ => input.Pick("PATCH", "HEAD", "OPTIONS", "get", "Put", "FUZZ", "TRACE", "PROPFIND"),
        };
        var reading = ReadOnlyMethods.Contains(method);
        var ownMesh = WorkerMesh(worker);
        var mesh = reading && input.Chance(0.5) ? input.Pick(FuzzControlPlane.ReadOnlyMesh, FuzzControlPlane.DpMesh, "default", "nope") : ownMesh;
        var name = reading && input.Chance(0.5) ? input.Pick("s1", "dp-0", "default", "mesh-timeout-all-" + ownMesh) : $"r{worker}-{input.Between(0, 2)}";
        var tenantName = $"fzt{worker}";

        string? authorization;
        bool admin;
        switch (input.Random.Next(100))
        {
            case < 45:
                (authorization, admin) = (Bearer(fuzz.TenantToken), false);
                break;
            case < 80:
                (authorization, admin) = (null, true);
                break;
            default:
                authorization = input.Random.Next(5) switch
                {
                    0 => "Basic " + Convert.ToBase64String("admin:admin"u8),
                    1 => "Bearer",
                    2 => "bearer  " + fuzz.TenantToken + "x",
                    3 => Bearer(fuzz.TenantToken[..^4]),
                    _ => Bearer(input.GarbageToken(userKeyId)),
                };
                authorization = authorization.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
                admin = false;
                break;
        }

        var sample = input.PickFrom(Samples.All);
        string path;
        Func<string> validBody;
        switch (input.Random.Next(100))
        {
            case < 50:
                var plural = input.Chance(0.9) ? sample.Plural : input.Pick("dataplane", "MESHTIMEOUTS", "meshes", "_resources", "tenants", Uri.EscapeDataString(input.OddText()));
                path = $"/meshes/{input.Segment(mesh)}/{plural}/{input.Segment(name)}";
                validBody = () => sample.Body(mesh, name);
                break;
            case < 60:
                path = $"/meshes/{input.Segment(mesh)}";
                validBody = () => Samples.Get("Mesh").Body(mesh, mesh);
                break;
            case < 70:
                path = input.Pick($"/meshes/{input.Segment(mesh)}/{sample.Plural}", $"/{sample.Plural}", "/meshes", "/global-secrets", "/dataplanes") + input.Query();
                validBody = () => sample.Body(mesh, name);
                break;
            case < 75:
                path = $"/{input.Pick("global-secrets", "secrets", "meshtimeouts")}/{input.Segment(name)}";
                validBody = () => Samples.Get("GlobalSecret").Body(mesh, name);
                break;
            case < 83:
                path = input.Chance(0.2) ? "/tenants" + input.Query() : $"/tenants/{input.Segment(tenantName)}";
                validBody = () => $$$"""{"type":"Tenant","name":"{{{tenantName}}}","quotas":{"meshes":5,"dataplanes":10,"policies":20},"apiRateLimit":{"requestsPerSecond":100}}""";
                break;
            case < 91:
                var user = input.Chance(0.5);
                path = user ? "/tokens/user" : "/tokens/dataplane";
                validBody = user
                    ? () => $$"""{"name":"u{{worker}}","tenant":"{{FuzzControlPlane.Tenant}}","validFor":"1h","groups":["g"]}"""
                    : () => $$$"""{"name":"dp-1","mesh":"{{{mesh}}}","validFor":"24h","tags":{"kuma.io/service":["web"]}}""";
                break;
            case < 94:
                path = input.Pick("/", "/_resources", "", "//", "/_resources/x") + input.Query();
                validBody = () => "{}";
                break;
            case < 98:
                path = $"/meshes/{input.Segment(mesh)}/dataplanes/{input.Segment(input.Pick("dp-0", "s1", name))}/{input.Pick("_overview", "_config", "_nope", "_overview/x")}";
                validBody = () => "{}";
                break;
            default:
                path = "/" + string.Join('/', Enumerable.Range(0, input.Between(1, 6)).Select(_ => input.Chance(0.5) ? Uri.EscapeDataString(input.OddText()) : input.Pick("meshes", "tenants", "%2F", "%00", "..", ".", "", ownMesh)));
                validBody = () => "{}";
                break;
        }
        if (admin && input.Chance(0.5))
            path = $"/tenants/{input.Segment(input.Pick(FuzzControlPlane.Tenant, tenantName, "default"))}" + (path.Length > 0 && path[0] == '/' ? path : "/" + path);

        var headers = new List<(string, string)>();
        if (input.Chance(0.1)) headers.Add(("If-Match", input.Pick("\"1\"", "W/\"2\"", "garbage", "*", "\"99999999999999999999\"", "\"0\"", "\"-1\"", "")));
        if (input.Chance(0.05)) headers.Add(("Accept", input.Pick("application/yaml", "*/*;q=garbage", "\u00ff")));
        if (input.Chance(0.05)) headers.Add((input.Pick("X-Fuzz", "Kuma-Tenant", "X-Forwarded-For"), input.Pick("fuzz", "default", "127.0.0.1", "\u00e9")));

        var hasBody = method is "PUT" or "POST" or "PATCH" or "Put" || (method is "GET" or "DELETE" && input.Chance(0.05));
        var body = !hasBody ? FuzzBody.None : input.Chance(0.8) ? bodies.Mutate(validBody()) : bodies.Junk();
        return new ApiRequest(index, method, path.Length == 0 ? "/" : path, authorization, admin, headers, body);
    }
}
