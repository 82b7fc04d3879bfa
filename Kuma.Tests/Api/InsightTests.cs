using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>Mesh insights, service insights and the global insight, computed from the fixture's mesh and its connected proxies.</summary>
public sealed class InsightTests(InsightFixture fixture) : IClassFixture<InsightFixture>
{
    private async Task<(string Created, string Modified)> MeshTimesAsync()
    {
        var mesh = await fixture.GetAsync("/meshes/mesh1");
        return (mesh["creationTime"]!.GetValue<string>(), mesh["modificationTime"]!.GetValue<string>());
    }

    private async Task<JsonNode> ExpectedMeshInsightAsync()
    {
        var (created, modified) = await MeshTimesAsync();
        return JsonNode.Parse($$$"""
            {"type":"MeshInsight","name":"mesh1","creationTime":"{{{created}}}","modificationTime":"{{{modified}}}",
             "dataplanes":{"total":4,"online":3,"offline":1},
             "policies":{"MeshRetry":{"total":1},"MeshTimeout":{"total":1}},
             "dpVersions":{"kumaDp":{"unknown":{"total":4,"online":3,"offline":1} },"envoy":{"unknown":{"total":4,"online":3,"offline":1} } },
             "mTLS":{},
             "services":{"total":3,"internal":3},
             "dataplanesByType":{"standard":{"total":2,"online":1,"offline":1},"gateway":{"total":2,"online":2},
               "gatewayBuiltin":{"total":1,"online":1},"gatewayDelegated":{"total":1,"online":1}},
             "resources":{"Dataplane":{"total":4},"MeshRetry":{"total":1},"MeshTimeout":{"total":1},"Secret":{"total":1} } }
            """)!;
    }

    [Fact]
    public async Task Mesh_insight_counts_dataplanes_by_status_and_type_and_resources_by_type()
    {
        var expected = await ExpectedMeshInsightAsync();
        var one = await fixture.GetAsync("/mesh-insights/mesh1");
        Assert.True(JsonNode.DeepEquals(expected, one), one.ToJsonString());

        var list = await fixture.GetAsync("/mesh-insights");
        var all = JsonNode.Parse($$$"""{"total":1,"items":[{{{expected.ToJsonString()}}}],"next":null}""");
        Assert.True(JsonNode.DeepEquals(all, list), list.ToJsonString());
    }

    [Fact]
    public async Task Service_insights_list_each_service_with_its_status()
    {
        var (created, modified) = await MeshTimesAsync();
        string Item(string name, string rest) =>
            $$$"""{"type":"ServiceInsight","mesh":"mesh1","name":"{{{name}}}","creationTime":"{{{created}}}","modificationTime":"{{{modified}}}",{{{rest}}}}""";
        var backend = Item("backend", """ "status":"partially_degraded","dataplanes":{"total":2,"online":1,"offline":1} """);
        var edge = Item("edge", """ "status":"online","dataplanes":{"total":1,"online":1},"serviceType":"gateway_builtin" """);
        var gateway = Item("gateway", """ "status":"online","dataplanes":{"total":1,"online":1},"serviceType":"gateway_delegated" """);

        await AssertJsonAsync($$$"""{"total":3,"items":[{{{backend}}},{{{edge}}},{{{gateway}}}],"next":null}""", "/meshes/mesh1/service-insights");
        await AssertJsonAsync($$$"""{"total":2,"items":[{{{edge}}},{{{gateway}}}],"next":null}""", "/meshes/mesh1/service-insights?type=gateway_builtin,gateway_delegated");
        await AssertJsonAsync($$$"""{"total":1,"items":[{{{backend}}}],"next":null}""", "/meshes/mesh1/service-insights?name=ack");
        var baseUrl = $"http://127.0.0.1:{fixture.Cp.ApiPort}/meshes/mesh1/service-insights";
        await AssertJsonAsync($$$"""{"total":3,"items":[{{{backend}}},{{{edge}}}],"next":"{{{baseUrl}}}?offset=2&size=2"}""", "/meshes/mesh1/service-insights?size=2");
        await AssertJsonAsync($$$"""{"total":3,"items":[{{{gateway}}}],"next":null}""", "/meshes/mesh1/service-insights?size=2&offset=2");
        await AssertJsonAsync(backend, "/meshes/mesh1/service-insights/backend");
        // A service nobody serves: Kuma's empty stat, not a 404.
        await AssertJsonAsync(Item("nobody", """ "dataplanes":{} """), "/meshes/mesh1/service-insights/nobody");

        var badType = await fixture.Tenant.GetAsync("/meshes/mesh1/service-insights?type=internal,bogus");
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Equal("Invalid response type", JsonNode.Parse(await badType.Content.ReadAsStringAsync())!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Global_insight_sums_the_tenants_meshes()
    {
        var global = await fixture.GetAsync("/global-insight");
        var createdAt = global["createdAt"]!.GetValue<string>();
        Assert.InRange(DateTimeOffset.Parse(createdAt, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        var expected = JsonNode.Parse($$$"""
            {"createdAt":"{{{createdAt}}}",
             "dataplanes":{"gatewayBuiltin":{"offline":0,"online":1,"partiallyDegraded":0,"total":1},
               "gatewayDelegated":{"offline":0,"online":1,"partiallyDegraded":0,"total":1},
               "standard":{"offline":1,"online":1,"partiallyDegraded":0,"total":2}},
             "meshes":{"total":1},"policies":{"total":2},
             "resources":{"Dataplane":{"total":4},"MeshRetry":{"total":1},"MeshTimeout":{"total":1},"Secret":{"total":1}},
             "services":{"external":{"total":0},
               "gatewayBuiltin":{"offline":0,"online":1,"partiallyDegraded":0,"total":1},
               "gatewayDelegated":{"offline":0,"online":1,"partiallyDegraded":0,"total":1},
               "internal":{"offline":0,"online":0,"partiallyDegraded":1,"total":1}},
             "zones":{"controlPlanes":{"online":0,"total":0},"zoneEgresses":{"online":0,"total":0},"zoneIngresses":{"online":0,"total":0} } }
            """);
        Assert.True(JsonNode.DeepEquals(expected, global), global.ToJsonString());
    }

    [Fact]
    public async Task A_caller_of_another_tenant_sees_none_of_it()
    {
        var stranger = fixture.Stranger;
        foreach (var path in new[] { "/mesh-insights/mesh1", "/meshes/mesh1/service-insights", "/meshes/mesh1/service-insights/backend", "/meshes/mesh1/dataplanes/_overview", "/meshes/mesh1/dataplanes+insights/dp-1" })
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(path)).StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"total":0,"items":[],"next":null}"""), await fixture.GetAsync("/mesh-insights", stranger)));
        var global = await fixture.GetAsync("/global-insight", stranger);
        Assert.Equal(0, global["meshes"]!["total"]!.GetValue<int>());
        Assert.Equal(0, global["dataplanes"]!["standard"]!["total"]!.GetValue<int>());
        // Naming the tenant does not help: the same refusal whether or not it exists.
        foreach (var path in new[] { "/tenants/ins-a/mesh-insights", "/tenants/ins-a/global-insight", "/tenants/ins-a/meshes/mesh1/dataplanes/_overview", "/tenants/ins-a/meshes/mesh1/service-insights" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync(path)).StatusCode);
        // The admin reaches them through the tenant's prefix.
        Assert.Equal(4, (await fixture.GetAsync("/tenants/ins-a/meshes/mesh1/dataplanes/_overview", fixture.Cp.Client))["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Who_am_i_names_the_caller_and_its_groups_as_Kumas_golden()
    {
        var me = await fixture.GetAsync("/who-am-i");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"user-of-ins-a","groups":["mesh-system:admin","mesh-system:authenticated"]}"""), me), me.ToJsonString());
        var admin = await fixture.GetAsync("/who-am-i", fixture.Cp.Client);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"mesh-system:admin","groups":["mesh-system:admin","mesh-system:authenticated"]}"""), admin), admin.ToJsonString());
    }

    private async Task AssertJsonAsync(string expected, string path)
    {
        var actual = await fixture.GetAsync(path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"{path}: {actual.ToJsonString()}");
    }
}
