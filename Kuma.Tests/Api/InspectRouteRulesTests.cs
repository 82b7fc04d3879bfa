using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>
/// <c>_rules</c> and <c>_resources/dataplanes</c> for policies aimed at a MeshHTTPRoute, over the input of Kuma
/// v2.14.3's api-server inspect case <c>_rules/meshhttproute</c> (a mesh without default policies), plus a
/// MeshTimeout naming a route that does not exist.
/// </summary>
public sealed class InspectRouteRulesTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private const string Mesh = "inspect-routes";
    private const string ApiHash = "waFsoIISmZDTfFWYqxvY265/GASHYEWvHQTwMh/bpuU=";
    private HttpClient Client => fixture.ControlPlane.Client;

    public async Task InitializeAsync()
    {
        (await Client.PutAsync($"/meshes/{Mesh}", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""))).EnsureSuccessStatusCode();
        await Put("dataplanes/dp-1", """
            {"type":"Dataplane","mesh":"inspect-routes","name":"dp-1","networking":{"address":"127.0.0.1",
             "inbound":[{"port":1234,"tags":{"kuma.io/service":"svc-1"}}]}}
            """);
        await Put("meshtimeouts/on-route", """
            {"type":"MeshTimeout","mesh":"inspect-routes","name":"on-route","spec":{"targetRef":{"kind":"MeshHTTPRoute","name":"the-http-route"},
             "to":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"15s"}}}]}}
            """);
        await Put("meshtimeouts/on-service", """
            {"type":"MeshTimeout","mesh":"inspect-routes","name":"on-service","spec":{"targetRef":{"kind":"Mesh"},
             "to":[{"targetRef":{"kind":"MeshService","name":"backend_kuma-demo_svc_3001"},"default":{"http":{"requestTimeout":"20s"}}}]}}
            """);
        await Put("meshhttproutes/the-http-route", """
            {"type":"MeshHTTPRoute","mesh":"inspect-routes","name":"the-http-route","spec":{"targetRef":{"kind":"MeshService","name":"svc-1"},
             "to":[{"targetRef":{"kind":"MeshService","name":"backend_kuma-demo_svc_3001"},
                    "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],
                              "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"backend_kuma-demo_svc_3001","tags":{"version":"1.0"}}]}}]}]}}
            """);
        await Put("meshhttproutes/the-other-http-route", """
            {"type":"MeshHTTPRoute","mesh":"inspect-routes","name":"the-other-http-route","spec":{"targetRef":{"kind":"MeshService","name":"svc-1"},
             "to":[{"targetRef":{"kind":"MeshService","name":"other-svc"},
                    "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],
                              "default":{"backendRefs":[{"kind":"MeshServiceSubset","name":"other-svc","tags":{"version":"1.0"}},
                                                        {"kind":"MeshServiceSubset","name":"other-svc-2","tags":{"version":"1.0"}}]}}]}]}}
            """);
        // Kuma resolves the route only when it generates config: the API accepts a policy naming a missing one.
        await Put("meshtimeouts/on-missing-route", """
            {"type":"MeshTimeout","mesh":"inspect-routes","name":"on-missing-route","spec":{"targetRef":{"kind":"MeshHTTPRoute","name":"no-such-route"},
             "to":[{"targetRef":{"kind":"Mesh"},"default":{"http":{"requestTimeout":"1s"}}}]}}
            """);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task Put(string path, string body) =>
        (await Client.PutAsync($"/meshes/{Mesh}/{path}", ControlPlane.Json(body))).EnsureSuccessStatusCode();

    private async Task<JsonNode> Get(string path) => JsonNode.Parse(await Client.GetStringAsync(path))!;

    private static string Meta(string type, string name) =>
        $$"""{"labels":{"kuma.io/env":"universal","kuma.io/mesh":"inspect-routes","kuma.io/origin":"zone","kuma.io/zone":"default"},"mesh":"inspect-routes","name":"{{name}}","type":"{{type}}"}""";

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    [Fact]
    public async Task Rules_of_a_policy_aimed_at_a_route_are_scoped_to_the_hash_of_the_rule_matches_as_in_Kuma()
    {
        var body = await Get($"/meshes/{Mesh}/dataplanes/dp-1/_rules");
        AssertJson($$$"""[{"hash":"{{{ApiHash}}}","match":[{"path":{"type":"PathPrefix","value":"/api"}}]}]""", body["httpMatches"]);
        var rules = body["rules"]!.AsArray();
        Assert.Equal(["MeshHTTPRoute", "MeshTimeout"], rules.Select(r => (string)r!["type"]!));

        // The route's rule gets on-route's 15s over on-service's 20s; the rest of the service keeps 20s.
        var timeout = rules[1]!;
        AssertJson($$$"""
            [{"conf":{"http":{"requestTimeout":"15s"}},
              "matchers":[{"key":"__rule-matches-hash__","not":false,"value":"{{{ApiHash}}}"},{"key":"kuma.io/service","not":false,"value":"backend_kuma-demo_svc_3001"}],
              "origin":[{{{Meta("MeshTimeout", "on-service")}}},{{{Meta("MeshTimeout", "on-route")}}}]},
             {"conf":{"http":{"requestTimeout":"20s"}},
              "matchers":[{"key":"__rule-matches-hash__","not":true,"value":"{{{ApiHash}}}"},{"key":"kuma.io/service","not":false,"value":"backend_kuma-demo_svc_3001"}],
              "origin":[{{{Meta("MeshTimeout", "on-service")}}}]}]
            """, timeout["toRules"]);
        Assert.Empty(timeout["fromRules"]!.AsArray());
        Assert.Empty(timeout["inboundRules"]!.AsArray());

        var routeSubsets = rules[0]!["toRules"]!.AsArray();
        Assert.Equal(["other-svc", "backend_kuma-demo_svc_3001"], routeSubsets.Select(r => (string)r!["matchers"]![0]!["value"]!));
    }

    [Fact]
    public async Task A_policy_aimed_at_a_route_selects_the_dataplanes_the_route_selects_and_one_aimed_at_a_missing_route_none()
    {
        AssertJson("""{"items":[{"labels":{"kuma.io/env":"universal","kuma.io/mesh":"inspect-routes","kuma.io/origin":"zone","kuma.io/zone":"default"},""" +
            """ "mesh":"inspect-routes","name":"dp-1","type":"Dataplane"}],"total":1}""",
            await Get($"/meshes/{Mesh}/meshtimeouts/on-route/_resources/dataplanes"));
        AssertJson("""{"items":[],"total":0}""", await Get($"/meshes/{Mesh}/meshtimeouts/on-missing-route/_resources/dataplanes"));
    }
}
