using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Gateway.Dp;
using EnvoyBootstrap = Envoy.Config.Bootstrap.V3.Bootstrap;

namespace Kuma.Tests.Sidecar.Bootstrap;

/// <summary>kuma-dp's bootstrap call as it makes it: HTTP/1.1, JSON in and out.</summary>
internal static class KumaDpRequests
{
    /// <summary>
    /// The body kuma-dp 2.14 sends (the shape of Kuma's <c>bootstrap-request-transparent-proxy.golden.json</c>), for
    /// <paramref name="mesh"/>/<paramref name="name"/> with <paramref name="token"/>.
    /// </summary>
    public static JsonObject Body(string mesh, string name, string token) => new()
    {
        ["mesh"] = mesh,
        ["name"] = name,
        ["proxyType"] = "dataplane",
        ["dataplaneToken"] = token,
        ["version"] = new JsonObject
        {
            ["kumaDp"] = new JsonObject { ["version"] = "2.14.3", ["gitTag"] = "v2.14.3", ["gitCommit"] = "0000000", ["buildDate"] = "2026-01-01T00:00:00Z" },
            ["envoy"] = new JsonObject { ["version"] = "1.36.2", ["build"] = "hash/1.36.2/Clean/RELEASE/BoringSSL", ["kumaDpCompatible"] = true },
        },
        ["caCert"] = "",
        ["dynamicMetadata"] = null,
        ["dnsPort"] = 15054,
        ["readinessPort"] = 9902,
        ["operatingSystem"] = "linux",
        ["features"] = new JsonArray("feature-tcp-accesslog-via-named-pipe", "feature-transparent-proxy-in-dataplane-metadata"),
        ["resources"] = new JsonObject { ["maxHeapSizeBytes"] = 0 },
        ["workdir"] = "/tmp/kuma-dp-1234",
        ["metricsResources"] = new JsonObject { ["certPath"] = "", ["keyPath"] = "" },
        ["systemCaPath"] = "",
        ["ipv6Enabled"] = false,
        ["spireResources"] = new JsonObject { ["socketPath"] = "" },
    };

    public static HttpRequestMessage Post(JsonNode body, Version? version = null) => new(HttpMethod.Post, "/bootstrap")
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        Version = version ?? HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Headers = { { "Accept", "application/json" } },
    };

    /// <summary>The answer's bootstrap, parsed as a typed Envoy Bootstrap, and the answer as JSON.</summary>
    public static async Task<(EnvoyBootstrap Bootstrap, JsonObject Answer)> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var answer = JsonNode.Parse(text)!.AsObject();
        var bootstrap = BootstrapJson.Parser.Parse<EnvoyBootstrap>(Encoding.UTF8.GetString(Convert.FromBase64String(answer["bootstrap"]!.GetValue<string>())));
        return (bootstrap, answer);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, object body) => client.PostAsJsonAsync("/bootstrap", body);
}
