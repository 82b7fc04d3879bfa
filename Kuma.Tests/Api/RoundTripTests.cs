using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

public sealed class RoundTripTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private HttpClient Client => fixture.ControlPlane.Client;

    public static TheoryData<string> Types() => new(Samples.All.Select(s => s.Type));

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Put_get_list_update_delete_round_trips(string type)
    {
        var sample = Samples.Get(type);
        var mesh = $"rt-{type.ToLowerInvariant()}";
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsync($"/meshes/{mesh}", ControlPlane.Json("{}"))).StatusCode);
        var name = type == "Mesh" ? $"{mesh}-x" : "item-1";
        var path = Samples.PathOf(sample, mesh, name);
        var sent = JsonNode.Parse(sample.Body(mesh, name))!.AsObject();

        var created = await Client.PutAsync(path, ControlPlane.Json(sent.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // Kuma's deprecation warnings for what two samples still use; the rest answer an empty object.
        var answer = await created.Content.ReadAsStringAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(type switch
        {
            "MeshHealthCheck" => """{"warnings":["healthyPanicThreshold for 'to[].default' is deprecated. The setting has been moved to MeshCircuitBreaker policy, please use MeshCircuitBreaker policy instead."]}""",
            "MeshTrafficPermission" => """{"warnings":["'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead"]}""",
            _ => "{}",
        }), JsonNode.Parse(answer)), answer);

        var got = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("\"1\"", got.Headers.ETag?.Tag);
        var read = JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
        foreach (var (key, value) in sent)
            Assert.True(JsonNode.DeepEquals(value, read[key]), $"{key}: sent {value?.ToJsonString()} got {read[key]?.ToJsonString()}");
        Assert.NotNull(read["creationTime"]);
        Assert.Equal(read["creationTime"]!.GetValue<string>(), read["modificationTime"]!.GetValue<string>());
        if (sample.MeshScoped) Assert.Equal(mesh, read["labels"]!["kuma.io/mesh"]!.GetValue<string>());

        var listPath = sample.MeshScoped ? $"/meshes/{mesh}/{sample.Plural}" : $"/{sample.Plural}";
        var list = JsonNode.Parse(await Client.GetStringAsync(listPath))!;
        Assert.Contains(list["items"]!.AsArray(), i => i!["name"]!.GetValue<string>() == name);

        var updated = await Client.PutAsync(path, ControlPlane.Json(sent.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"2\"", updated.Headers.ETag?.Tag);

        var deleted = await Client.DeleteAsync(path);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Yaml_body_reads_like_json()
    {
        await Client.PutAsync("/meshes/yaml-mesh", ControlPlane.Json("{}"));
        var yaml = """
            type: Dataplane
            mesh: yaml-mesh
            name: dp-yaml
            labels:
              team: "007"
            networking:
              address: 10.0.0.7
              inbound:
                - port: 9000
                  servicePort: 90
                  tags:
                    kuma.io/service: api
            """;
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsync("/meshes/yaml-mesh/dataplanes/dp-yaml", ControlPlane.Yaml(yaml))).StatusCode);
        var read = JsonNode.Parse(await Client.GetStringAsync("/meshes/yaml-mesh/dataplanes/dp-yaml"))!;
        Assert.Equal(9000, read["networking"]!["inbound"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("007", read["labels"]!["team"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("meshhttproutes", "route-v1-v2", """
        type: MeshHTTPRoute
        mesh: docs-mesh
        name: route-v1-v2
        spec:
          targetRef:
            kind: MeshSubset
            tags:
              kuma.io/service: frontend
          to:
            - targetRef:
                kind: MeshService
                name: backend
              rules:
                - matches:
                    - path:
                        type: PathPrefix
                        value: /api
                      method: GET
                      headers:
                        - type: Exact
                          name: x-canary
                          value: "true"
                      queryParams:
                        - type: RegularExpression
                          name: version
                          value: "v[12]"
                  default:
                    filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier:
                          set:
                            - name: x-route
                              value: v1-v2
                          remove: [x-debug]
                      - type: URLRewrite
                        urlRewrite:
                          path:
                            type: ReplacePrefixMatch
                            replacePrefixMatch: /
                      - type: RequestMirror
                        requestMirror:
                          percentage: "12.5"
                          backendRef:
                            kind: MeshServiceSubset
                            name: backend
                            tags:
                              version: v3
                    backendRefs:
                      - kind: MeshServiceSubset
                        name: backend
                        tags:
                          version: v1
                        weight: 90
                      - kind: MeshServiceSubset
                        name: backend
                        tags:
                          version: v2
                        weight: 10
                - matches:
                    - path:
                        type: Exact
                        value: /old
                  default:
                    filters:
                      - type: RequestRedirect
                        requestRedirect:
                          scheme: https
                          hostname: new.example.com
                          port: 8443
                          statusCode: 301
        """)]
    [InlineData("meshtcproutes", "tcp-route", """
        type: MeshTCPRoute
        mesh: docs-mesh
        name: tcp-route
        spec:
          targetRef:
            kind: MeshSubset
            tags:
              kuma.io/service: frontend
          to:
            - targetRef:
                kind: MeshService
                name: backend
              rules:
                - default:
                    backendRefs:
                      - kind: MeshServiceSubset
                        name: backend
                        tags:
                          version: v1
                        weight: 90
                      - kind: MeshService
                        name: backend-v2
                        weight: 10
        """)]
    [InlineData("meshfaultinjections", "backend-faults", """
        type: MeshFaultInjection
        mesh: docs-mesh
        name: backend-faults
        spec:
          targetRef:
            kind: Dataplane
            labels:
              app: backend
          from:
            - targetRef:
                kind: MeshSubset
                tags:
                  kuma.io/service: frontend
              default:
                http:
                  - abort:
                      httpStatus: 500
                      percentage: "2.5"
                  - abort:
                      httpStatus: 503
                      percentage: 10
                  - delay:
                      value: 5s
                      percentage: 5
                  - responseBandwidth:
                      limit: 50 kbps
                      percentage: "99.9"
        """)]
    [InlineData("meshratelimits", "backend-rate-limit", """
        type: MeshRateLimit
        mesh: docs-mesh
        name: backend-rate-limit
        spec:
          targetRef:
            kind: MeshService
            name: backend
          from:
            - targetRef:
                kind: Mesh
              default:
                local:
                  http:
                    requestRate:
                      num: 5
                      interval: 10s
                    onRateLimit:
                      status: 423
                      headers:
                        set:
                          - name: "x-kuma-rate-limited"
                            value: "true"
                  tcp:
                    connectionRate:
                      num: 5
                      interval: 10s
        """)]
    public async Task Kuma_docs_policies_read_back_as_sent(string plural, string name, string yaml)
    {
        await Client.PutAsync("/meshes/docs-mesh", ControlPlane.Json("{}"));
        var path = $"/meshes/docs-mesh/{plural}/{name}";
        var sent = Kuma.Validation.YamlToJson.Convert(yaml)!;

        var created = await Client.PutAsync(path, ControlPlane.Yaml(yaml));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var read = JsonNode.Parse(await Client.GetStringAsync(path))!;
        Assert.Equal(sent["type"]!.GetValue<string>(), read["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(sent["spec"], read["spec"]), $"sent {sent["spec"]!.ToJsonString()}\ngot  {read["spec"]?.ToJsonString()}");
        var listed = JsonNode.Parse(await Client.GetStringAsync($"/meshes/docs-mesh/{plural}"))!["items"]!.AsArray();
        Assert.Contains(listed, i => i!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Creating_a_mesh_creates_kuma_default_policies()
    {
        await Client.PutAsync("/meshes/with-defaults", ControlPlane.Json("""{"type":"Mesh","name":"with-defaults"}"""));
        async Task<string[]> Names(string plural) =>
            JsonNode.Parse(await Client.GetStringAsync($"/meshes/with-defaults/{plural}"))!["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(["mesh-gateways-timeout-all-with-defaults", "mesh-timeout-all-with-defaults"], await Names("meshtimeouts"));
        Assert.Equal(["mesh-retry-all-with-defaults"], await Names("meshretries"));
        Assert.Equal(["mesh-circuit-breaker-all-with-defaults"], await Names("meshcircuitbreakers"));
        // Dataplane tokens are signed with a cluster-wide key (verified before any claim is trusted), so no per-mesh key secret.
        Assert.Empty(await Names("secrets"));

        var timeout = JsonNode.Parse(await Client.GetStringAsync("/meshes/with-defaults/meshtimeouts/mesh-timeout-all-with-defaults"))!;
        Assert.Equal("10s", timeout["spec"]!["from"]![0]!["default"]!["connectionTimeout"]!.GetValue<string>());
        Assert.Equal("15s", timeout["spec"]!["to"]![0]!["default"]!["http"]!["requestTimeout"]!.GetValue<string>());

        await Client.PutAsync("/meshes/bare", ControlPlane.Json("""{"type":"Mesh","name":"bare","skipCreatingInitialPolicies":["*"]}"""));
        var policies = JsonNode.Parse(await Client.GetStringAsync("/meshes/bare/meshtimeouts"))!;
        Assert.Equal(0, policies["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Deleting_a_mesh_removes_what_it_holds_but_not_while_dataplanes_are_attached()
    {
        await Client.PutAsync("/meshes/doomed", ControlPlane.Json("{}"));
        await Client.PutAsync("/meshes/doomed/dataplanes/dp-1", ControlPlane.Json(Samples.Dataplane("doomed", "dp-1")));
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsync("/meshes/doomed/secrets/old", ControlPlane.Json(""" {"type":"Secret","mesh":"doomed","name":"old","data":"c2VjcmV0"} """))).StatusCode);
        var refused = await Client.DeleteAsync("/meshes/doomed");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("dataplanes attached", await refused.Content.ReadAsStringAsync());

        await Client.DeleteAsync("/meshes/doomed/dataplanes/dp-1");
        Assert.Equal(HttpStatusCode.OK, (await Client.DeleteAsync("/meshes/doomed")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/meshes/doomed/meshtimeouts")).StatusCode);

        await Client.PutAsync("/meshes/doomed", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""));
        var secrets = JsonNode.Parse(await Client.GetStringAsync("/meshes/doomed/secrets"))!;
        Assert.Equal(0, secrets["total"]!.GetValue<int>()); // nothing of the old mesh survived
    }

    [Fact]
    public async Task Index_and_resource_types_answer_without_credentials()
    {
        var index = JsonNode.Parse(await Client.GetStringAsync("/"))!;
        Assert.Equal("Kuma", index["product"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(index["instanceId"]!.GetValue<string>()));

        var types = JsonNode.Parse(await Client.GetStringAsync("/_resources"))!["resources"]!.AsArray();
        var timeout = types.Single(t => t!["name"]!.GetValue<string>() == "MeshTimeout")!;
        Assert.Equal("meshtimeouts", timeout["path"]!.GetValue<string>());
        Assert.Equal("Mesh", timeout["scope"]!.GetValue<string>());
        Assert.True(timeout["policy"]!["hasToTargetRef"]!.GetValue<bool>());
        Assert.DoesNotContain(types, t => t!["name"]!.GetValue<string>() == "Tenant");
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(await Client.GetStringAsync("/_resources")).RootElement.ValueKind);
    }
}
