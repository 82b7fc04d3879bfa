using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Hardening;

/// <summary>
/// Finding 1: an 80 KB YAML body nested 40,000 deep killed the process with a stack overflow, without a
/// token on the DP port and with any tenant token on the API. The process must answer 400 and live on.
/// </summary>
public sealed class DeepBodyTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private static readonly string DeepYaml = new string('[', 40_000) + new string(']', 40_000);

    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Deep_yaml_on_the_dp_port_without_a_token_answers_400_and_the_process_lives_on()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var dp = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{Cp.DpPort}") };
        dp.DefaultRequestVersion = HttpVersion.Version11;

        var response = await dp.PostAsync("/bootstrap", new StringContent(DeepYaml, Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("nested deeper", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Deep_yaml_and_json_through_the_api_answer_400_in_kumas_shape_and_store_nothing()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("deep"));
        var deepJson = new string('[', 40_000) + new string(']', 40_000);
        foreach (var content in new[] { ControlPlane.Yaml(DeepYaml), ControlPlane.Json(deepJson), ControlPlane.Yaml("type: Mesh\nname: m\nx: " + DeepYaml) })
        {
            var response = await tenant.PutAsync("/meshes/m", content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(400, error["status"]!.GetValue<int>());
            Assert.Equal("Bad Request", error["title"]!.GetValue<string>());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync("/meshes/m")).StatusCode);
    }
}
