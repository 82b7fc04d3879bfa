using System.Net;
using System.Text;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Kuma.Tests.Fuzz;

/// <summary>
/// The DP port's <c>GET /proxyless/identity</c> with generated queries, paths and tokens: never a 5xx, and callers whose
/// token is refused activate no grain (the token is checked before any mesh is asked).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class DpIdentityFuzzTests(FuzzControlPlane fuzz, ITestOutputHelper output)
{
    private const int Requests = 600;
    private readonly FuzzFindings _findings = new();

    [Fact]
    public async Task Generated_identity_requests_never_answer_5xx_and_refused_tokens_activate_no_grain()
    {
        const string suite = "identity";
        output.WriteLine(FuzzSeed.Banner(suite));
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{fuzz.Cp.DpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        var management = fuzz.Cp.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

        // First only tokens that must be refused: the grains active before are all there are after.
        var before = await Activations(management);
        await SendAsync(client, suite, 0, Requests / 2, refusedTokensOnly: true);
        Assert.Equal(before, await Activations(management));
        await SendAsync(client, suite, Requests / 2, Requests / 2, refusedTokensOnly: false);

        await fuzz.AssertAliveAsync();
        _findings.AssertNone(output, suite);
    }

    private Task SendAsync(HttpClient client, string suite, int from, int count, bool refusedTokensOnly) =>
        FuzzWorkers.RunAsync(from, count, 8, async (_, i) =>
        {
            var input = new FuzzInputs(FuzzSeed.For(suite, i));
            var token = input.Random.Next(refusedTokensOnly ? 3 : 5) switch
            {
                0 => null,
                1 => input.GarbageToken("dp-1"),
                2 => fuzz.TenantToken, // a user token where a dataplane token belongs
                _ => input.PickFrom(fuzz.DataplaneTokens),
            };
            var path = Path(input);
            var shown = $"#{i} GET {path} token={(token is null ? "(none)" : token.Length > 40 ? token[..40] + "…" : token)}";
            using var message = new HttpRequestMessage(HttpMethod.Get, path) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            // Header values stay printable ASCII: other bytes are Kestrel's to refuse, and it does so by closing the
            // whole HTTP/2 connection, failing every request multiplexed on it.
            if (token is not null) message.Headers.TryAddWithoutValidation("Authorization", Printable(input.Chance(0.9) ? $"Bearer {token}" : token));
            if (input.Chance(0.2)) message.Headers.TryAddWithoutValidation("If-None-Match", input.Pick("\"x\"", "*", "W/\"\"", Printable(input.OddText())));
            try
            {
                using var response = await client.SendAsync(message);
                if ((int)response.StatusCode >= 500)
                    _findings.Add($"answered {(int)response.StatusCode}", shown, FuzzBody.Literal(await response.Content.ReadAsStringAsync(), 600));
            }
            catch (HttpRequestException e) when (path.Contains("%00", StringComparison.Ordinal) && e.HttpRequestError == HttpRequestError.HttpProtocolError)
            {
                // Kestrel resets a stream whose :path holds a NUL before any of our code runs (as in the bootstrap fuzz).
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _findings.Add($"no answer: {e.GetType().Name}: {e.Message}", shown);
            }
        });

    private static string Printable(string value) => value.All(c => c is >= ' ' and < '\x7f') ? value : Uri.EscapeDataString(value);

    private static string Path(FuzzInputs input)
    {
        string Part(string name) => input.Random.Next(10) switch
        {
            < 6 => $"{name}={Uri.EscapeDataString(name == "mesh" ? FuzzControlPlane.DpMesh : input.Pick("dp-0", "dp-1", "dp-9"))}",
            6 => $"{name}={Uri.EscapeDataString(input.OddText())}",
            7 => $"{name}=",
            8 => $"{name}=a&{name}=b",
            _ => input.Pick("x=1", "%zz", name, $"{name}={new string('m', 300)}"),
        };
        var route = input.Chance(0.9) ? "/proxyless/identity" : input.Pick("/proxyless/identity/", "/proxyless/identity%00", "/PROXYLESS/identity", "/proxyless");
        return $"{route}?{Part("mesh")}&{Part("name")}";
    }

    private static async Task<int> Activations(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics()).Where(s => !s.GrainType.Contains("Management", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
}
