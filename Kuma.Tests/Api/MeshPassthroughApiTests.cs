using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>MeshPassthrough through the API: stored with Kuma's default protocol filled in, refused in Kuma's error shape.</summary>
public sealed class MeshPassthroughApiTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private HttpClient Client => fixture.ControlPlane.Client;

    [Fact]
    public async Task A_match_without_protocol_is_stored_as_tcp_and_a_bad_one_is_refused_field_by_field()
    {
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsync("/meshes/mp-api", ControlPlane.Json("{}"))).StatusCode);
        var good = """
            {"type":"MeshPassthrough","mesh":"mp-api","name":"allowed","spec":{"targetRef":{"kind":"Mesh"},
             "default":{"passthroughMode":"Matched","appendMatch":[{"type":"CIDR","value":"10.0.0.0/8","port":5432}]}}}
            """;
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsync("/meshes/mp-api/meshpassthroughs/allowed", ControlPlane.Json(good))).StatusCode);
        var read = JsonNode.Parse(await Client.GetStringAsync("/meshes/mp-api/meshpassthroughs/allowed"))!;
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"type":"CIDR","value":"10.0.0.0/8","port":5432,"protocol":"tcp"}]"""),
            read["spec"]!["default"]!["appendMatch"]), read.ToJsonString());

        var bad = """
            {"type":"MeshPassthrough","mesh":"mp-api","name":"bad","spec":{"targetRef":{"kind":"MeshService","name":"web"},
             "default":{"appendMatch":[{"type":"Domain","value":"*w.example.com","port":80,"protocol":"http"}]},"to":[]}}
            """;
        var refused = await Client.PutAsync("/meshes/mp-api/meshpassthroughs/bad", ControlPlane.Json(bad));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var causes = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["causes"]!.AsArray()
            .Select(c => $"{c!["field"]}: {c["message"]}").ToList();
        Assert.Equal(
        [
            "spec.to: unknown field",
            "spec.targetRef.kind: value 'MeshService' is not supported",
            "spec.default.appendMatch[0].value: provided DNS has incorrect value, partial wildcard is currently not supported",
        ], causes);
    }
}
