using System.Net.Http.Headers;
using Kuma.ClusterAgent.Sync;
using Kuma.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kuma.Tests.Kubernetes.Sync;

/// <summary>The agent's client of the hosted API against a real control plane: tokens for injected proxies, Kuma's error shape.</summary>
public sealed class ControlPlaneClientTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private async Task<ControlPlaneClient> ClientAsync(string tenant)
    {
        await AgentApi.TenantAsync(fixture.ControlPlane, tenant);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.ControlPlane.ApiPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.ControlPlane.IssueTokenAsync(tenant));
        return new ControlPlaneClient(http, TimeProvider.System, NullLogger<ControlPlaneClient>.Instance);
    }

    [Fact]
    public async Task A_mesh_scoped_dataplane_token_is_issued()
    {
        var client = await ClientAsync("k8s-client-token");
        var token = await client.IssueDataplaneTokenAsync("default", TimeSpan.FromHours(1), CancellationToken.None);
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.All(parts, p => Assert.NotEmpty(p));
    }

    [Fact]
    public async Task The_apis_refusal_surfaces_with_its_title_detail_and_fields()
    {
        var client = await ClientAsync("k8s-client-errors");
        var raw = fixture.ControlPlane.NewClient(await fixture.ControlPlane.IssueTokenAsync("k8s-client-errors"));
        var missingMesh = await Assert.ThrowsAsync<ControlPlaneApiException>(() => client.IssueDataplaneTokenAsync("nowhere", TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal((404, "Failed to retrieve Mesh", "Not found", true), (missingMesh.Status, missingMesh.Title, missingMesh.Detail, missingMesh.IsClientError));

        var invalid = await Assert.ThrowsAsync<ControlPlaneApiException>(() => client.PutPolicyAsync(
            "MeshTrafficPermission", "meshtrafficpermissions", "default", "bad.shop", System.Text.Json.Nodes.JsonNode.Parse("""{"targetRef":{"kind":"Bogus"}}"""),
            new Dictionary<string, string>(), CancellationToken.None));
        Assert.Equal((400, "Could not process a resource", "Resource is not valid"), (invalid.Status, invalid.Title, invalid.Detail));
        // The same body sent by hand: the client's causes are the API's invalid parameters, in order.
        var direct = await raw.PutAsync("/meshes/default/meshtrafficpermissions/bad.shop", ControlPlane.Json(
            """{"type":"MeshTrafficPermission","mesh":"default","name":"bad.shop","spec":{"targetRef":{"kind":"Bogus"}}}"""));
        var expected = System.Text.Json.Nodes.JsonNode.Parse(await direct.Content.ReadAsStringAsync())!["invalid_parameters"]!.AsArray()
            .Select(p => $"{(string?)p!["field"]}: {(string?)p["reason"]}").ToList();
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected, invalid.Causes);
    }
}
