using System.Net;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Policies;

/// <summary>
/// The safety MeshProxyPatch promises: a patch that would break a resource is refused by the API when that can be
/// seen from the patch alone, and otherwise never reaches the proxy, which keeps the resource as it was and has
/// the failure listed in its <c>_overview</c>.
/// </summary>
public sealed class MeshProxyPatchTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    private async Task<HttpClient> Tenant(string name)
    {
        var client = Cp.NewClient(await Cp.CreateTenantAsync(name));
        (await client.PutAsync("/meshes/m1", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m1/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("m1", "web-1", "web", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();
        (await client.PutAsync("/meshes/m1/dataplanes/backend-1", ControlPlane.Json(Samples.Dataplane("m1", "backend-1", "backend", "10.0.0.2", 9001)))).EnsureSuccessStatusCode();
        return client;
    }

    private static string Patch(string modifications) =>
        """{"type":"MeshProxyPatch","mesh":"m1","name":"patch","spec":{"targetRef":{"kind":"MeshService","name":"web"},"default":{"appendModifications":"""
        + modifications + "}}}";

    [Fact]
    public async Task A_patch_that_would_break_a_cluster_never_reaches_the_proxy_and_the_overview_says_why()
    {
        using var tenant = await Tenant("mpp-broken");
        // The first modification passes the API (its path is a sound pointer) but leaves an EDS cluster without its
        // EDS settings, which Envoy would reject; the second one is sound and still applies.
        (await tenant.PutAsync("/meshes/m1/meshproxypatches/patch", ControlPlane.Json(Patch("""
            [{"cluster":{"operation":"Patch","match":{"name":"backend"},"jsonPatches":[{"op":"remove","path":"/edsClusterConfig"}]}},
             {"cluster":{"operation":"Patch","match":{"name":"backend"},"value":"connectTimeout: 9s"}}]
            """)))).EnsureSuccessStatusCode();

        await using var ads = new AdsClient(fixture.DpAddress, "m1.web-1", await ControlPlane.DataplaneTokenAsync(tenant, "m1", "web-1"));
        await ads.SendAsync(TypeUrls.Cluster);
        var cds = await ads.NextOfTypeAsync(TypeUrls.Cluster);
        var backend = cds.Resources.Select(r => r.Unpack<Cluster>()).Single(c => c.Name == "backend");

        Assert.Equal(Cluster.Types.DiscoveryType.Eds, backend.Type);
        Assert.NotNull(backend.EdsClusterConfig);
        Assert.Equal(TimeSpan.FromSeconds(9), backend.ConnectTimeout.ToTimeSpan());

        var overview = JsonNode.Parse(await tenant.GetStringAsync("/meshes/m1/dataplanes/web-1/_overview"))!;
        var error = Assert.Single(overview["policyErrors"]!.AsArray())!;
        Assert.Equal("MeshProxyPatch", (string?)error["type"]);
        Assert.Equal("cluster backend", (string?)error["resource"]);
        Assert.Equal("appendModifications[0]: an EDS cluster needs edsClusterConfig; left unchanged", (string?)error["message"]);

        // A proxy the patch does not select has nothing to report.
        var other = JsonNode.Parse(await tenant.GetStringAsync("/meshes/m1/dataplanes/backend-1/_overview"))!;
        Assert.Null(other["policyErrors"]);
    }

    [Fact]
    public async Task A_patch_that_is_broken_on_its_own_is_refused_by_the_api_with_every_reason()
    {
        using var tenant = await Tenant("mpp-refused");
        var response = await tenant.PutAsync("/meshes/m1/meshproxypatches/patch", ControlPlane.Json(Patch("""
            [{"cluster":{"operation":"Patch","value":"connectTimeoutt: 5s"}},
             {"cluster":{"operation":"Add","value":"connectTimeout: 5s"}},
             {"listener":{"operation":"Patch","jsonPatches":[{"op":"replace","path":"address","value":{}}]}},
             {"httpFilter":{"operation":"AddFirst","value":"name: envoy.filters.http.cors\ntypedConfig:\n  '@type': type.googleapis.com/no.such.Type"}}]
            """)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var causes = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["causes"]!.AsArray()
            .Select(c => ((string)c!["field"]!, (string)c["message"]!)).ToList();
        Assert.Equal(
            [
                "spec.default.appendModifications[0].cluster.value",
                "spec.default.appendModifications[1].cluster.value",
                "spec.default.appendModifications[2].listener.jsonPatches[0].path",
                "spec.default.appendModifications[3].httpFilter.value",
            ],
            causes.Select(c => c.Item1));
        Assert.StartsWith("native Envoy resource is not valid: ", causes[0].Item2);
        Assert.Contains("connectTimeoutt", causes[0].Item2);
        Assert.Equal("native Envoy resource is not valid: name must not be empty", causes[1].Item2);
        Assert.Equal("must be a JSON pointer: must be empty or start with '/'", causes[2].Item2);
        Assert.Contains("no.such.Type", causes[3].Item2);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync("/meshes/m1/meshproxypatches/patch")).StatusCode);
    }
}
