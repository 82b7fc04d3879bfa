using System.Text.RegularExpressions;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Kuma.Grains;
using Kuma.Policies.MeshRateLimit;
using Kuma.Tests.Infrastructure;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies.Plugins;

/// <summary>
/// Limits per caller identity beyond the goldens: the x-forwarded-client-cert patterns that tell callers apart,
/// against headers as Envoy writes them (SANITIZE_SET with the URI: <c>By</c> is the server's own URI, <c>Hash</c> the
/// client certificate's digest, one <c>URI</c> per URI SAN; Envoy matches a header regex against the whole value,
/// hence the anchors here), and a SPIFFE ID rule changing on its own between generations.
/// </summary>
public sealed class MeshRateLimitCallerRoutesTests
{
    private const string Server = "By=spiffe://default/backend;Hash=0a1b2c";

    [Theory]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=spiffe://default/web", true)]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=spiffe://default/web;URI=kuma://kuma.io/service/web", true)]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=kuma://kuma.io/service/web;URI=spiffe://default/web", true)]
    [InlineData("Exact", "spiffe://default/web", "URI=spiffe://default/web", true)]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=spiffe://default/web-admin", false)]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=spiffe://default/we", false)]
    [InlineData("Exact", "spiffe://default/web", "By=spiffe://default/web;Hash=0a1b2c;URI=spiffe://default/other", false)]
    [InlineData("Exact", "spiffe://default/web", Server + ";URI=", false)]
    [InlineData("Exact", "spiffe://default/a.b", Server + ";URI=spiffe://default/aXb", false)]
    [InlineData("Exact", "spiffe://default/a.b", Server + ";URI=spiffe://default/a.b", true)]
    [InlineData("Prefix", "spiffe://default/ns/clients", Server + ";URI=spiffe://default/ns/clients/web", true)]
    [InlineData("Prefix", "spiffe://default/ns/clients", Server + ";URI=spiffe://default/ns/clients", true)]
    [InlineData("Prefix", "spiffe://default/ns/clients", Server + ";URI=kuma://x;URI=spiffe://default/ns/clients/web", true)]
    [InlineData("Prefix", "spiffe://default/ns/clients", Server + ";URI=spiffe://default/ns/client", false)]
    [InlineData("Prefix", "spiffe://default/ns/clients", Server + ";URI=spiffe://other/ns/clients/web", false)]
    [InlineData("Prefix", "spiffe://default/ns/clients", "By=spiffe://default/ns/clients/x;Hash=0a1b2c;URI=spiffe://default/web", false)]
    public void A_pattern_matches_the_callers_URI_element_only(string matchType, string id, string header, bool matches)
    {
        var pattern = CallerRoutes.UriPattern(matchType, id);

        Assert.Equal(matches, Regex.IsMatch(header, $"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Patterns_escape_what_RE2_would_read_as_syntax()
    {
        Assert.Equal(@"(?:.*[;,])?URI=spiffe://default/a\.b(?:[;,].*)?", CallerRoutes.UriPattern("Exact", "spiffe://default/a.b"));
        Assert.Equal(@"(?:.*[;,])?URI=spiffe://my\.domain/ns.*", CallerRoutes.UriPattern("Prefix", "spiffe://my.domain/ns"));
    }

    [Fact]
    public void A_SPIFFE_ID_rule_changing_alone_changes_the_inbound_routes_in_incremental_and_scratch_builds_alike()
    {
        const string sidecar = """
            {"networking":{"address":"10.0.0.1","inbound":[{"port":8080,"tags":{"kuma.io/service":"web","kuma.io/protocol":"http"}}]}}
            """;
        const string catchAll = """{"default":{"local":{"http":{"requestRate":{"num":100,"interval":"10s"}}}}}""";
        static string Policy(string? match) =>
            """{"targetRef":{"kind":"Mesh","proxyTypes":["Sidecar"]},"rules":[""" + catchAll
            + (match is null ? "" : """,{"matches":[{"spiffeID":""" + match + """}],"default":{"local":{"http":{"requestRate":{"num":5,"interval":"1s"}}}}}""")
            + "]}";
        MeshSnapshot Snapshot(long generation, string? match) =>
            InProcessMesh.Snapshot([("web-1", sidecar)], generation: generation, policies: [("MeshRateLimit", "limits", Policy(match))]);
        // Each route as its caller pattern (- for everyone) and the tokens of its limit.
        static List<string> Routes(MeshContext mesh) =>
        [
            .. mesh.ForProxy("web-1").Wildcard(TypeUrls.Listener).Single(l => l.Name == "inbound:10.0.0.1:8080").Payload.Unpack<Listener>()
                .FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>().RouteConfig.VirtualHosts.Single().Routes
                .Select(r => (r.Match.Headers.SingleOrDefault()?.StringMatch.SafeRegex.Regex ?? "-") + " " + r.TypedPerFilterConfig["envoy.filters.http.local_ratelimit"]
                    .Unpack<Envoy.Extensions.Filters.Http.LocalRatelimit.V3.LocalRateLimit>().TokenBucket.MaxTokens),
        ];

        var prefix = MeshContext.Build(Snapshot(1, """{"type":"Prefix","value":"spiffe://m1/clients"}"""));
        Assert.Equal([@"(?:.*[;,])?URI=spiffe://m1/clients.* 5", "- 100"], Routes(prefix));
        var exact = MeshContext.Build(Snapshot(2, """{"type":"Exact","value":"spiffe://m1/web"}"""), prefix);
        Assert.Equal([@"(?:.*[;,])?URI=spiffe://m1/web(?:[;,].*)? 5", "- 100"], Routes(exact));
        Assert.Equal(MeshContext.Build(Snapshot(2, """{"type":"Exact","value":"spiffe://m1/web"}""")).ForProxy("web-1").Wildcard(TypeUrls.Listener).Select(l => (l.Name, l.Payload)),
            exact.ForProxy("web-1").Wildcard(TypeUrls.Listener).Select(l => (l.Name, l.Payload)));
        var gone = MeshContext.Build(Snapshot(3, match: null), exact);
        Assert.Equal(["- 100"], Routes(gone));
    }
}
