using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

/// <summary>Kuma's dataplane overview listing cases (its golden files' item names), on both of Kuma's paths.</summary>
public sealed class DataplaneOverviewTests(InsightFixture fixture) : IClassFixture<InsightFixture>
{
    [Theory]
    [InlineData("", "dp-1,dp-no-insights,gateway-builtin,gateway-delegated")]
    [InlineData("?tag=kuma.io/service:backend", "dp-1,dp-no-insights")]
    [InlineData("?tag=kuma.io/service:ck", "dp-1,dp-no-insights")]
    [InlineData("?tag=kuma.io/service:backend&tag=version:v1", "dp-1,dp-no-insights")]
    [InlineData("?tag=tagcolumn:tag:v", "dp-1,dp-no-insights")]
    [InlineData("?tag=kuma.io/service:backend&tag=version:v2", "")]
    [InlineData("?gateway=true", "gateway-builtin,gateway-delegated")]
    [InlineData("?gateway=false", "dp-1,dp-no-insights")]
    [InlineData("?gateway=builtin", "gateway-builtin")]
    [InlineData("?gateway=delegated", "gateway-delegated")]
    [InlineData("?name=gateway", "gateway-builtin,gateway-delegated")]
    [InlineData("?name=tew", "gateway-builtin,gateway-delegated")]
    [InlineData("?online=true", "dp-1,gateway-builtin,gateway-delegated")]
    [InlineData("?online=false", "dp-no-insights")]
    [InlineData("?online=true&gateway=false", "dp-1")]
    [InlineData("?filter[labels.kuma.io/mesh]=mesh1&name=dp", "dp-1,dp-no-insights")]
    public async Task Filters_select_as_in_Kuma(string query, string expected)
    {
        foreach (var path in new[] { "/meshes/mesh1/dataplanes/_overview", "/meshes/mesh1/dataplanes+insights" })
        {
            var list = await fixture.GetAsync(path + query);
            var names = list["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();
            Assert.Equal(expected.Length == 0 ? [] : expected.Split(','), names);
            Assert.Equal(names.Count, list["total"]!.GetValue<int>());
            Assert.Null(list["next"]);
            Assert.All(list["items"]!.AsArray(), i => Assert.Equal("DataplaneOverview", i!["type"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task An_item_without_insight_is_Kumas_shape_with_labels_and_kri()
    {
        var list = await fixture.GetAsync("/meshes/mesh1/dataplanes/_overview?name=no-insights");
        var item = list["items"]![0]!;
        var stored = await fixture.GetAsync("/meshes/mesh1/dataplanes/dp-no-insights");
        var expected = JsonNode.Parse($$$"""
            {"type":"DataplaneOverview","mesh":"mesh1","name":"dp-no-insights",
             "creationTime":"{{{stored["creationTime"]}}}","modificationTime":"{{{stored["modificationTime"]}}}",
             "labels":{"kuma.io/env":"universal","kuma.io/mesh":"mesh1","kuma.io/origin":"zone","kuma.io/zone":"default"},
             "kri":"kri_dp_mesh1_default__dp-no-insights_",
             "dataplane":{"networking":{"address":"127.0.0.1","inbound":[{"port":1234,"tags":{"kuma.io/service":"backend","tagcolumn":"tag:v","version":"v1"} } ]} } }
            """);
        Assert.True(JsonNode.DeepEquals(expected, item), item.ToJsonString());
        Assert.Equal("kri_dp_mesh1_default__dp-no-insights_", stored["kri"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_connected_item_carries_its_subscription()
    {
        JsonNode insight = null!;
        // The stream's reports reach its session grain after the response went out.
        await Eventually.HoldsAsync(async () =>
        {
            var list = await fixture.GetAsync("/meshes/mesh1/dataplanes+insights?name=dp-1");
            insight = list["items"]![0]!["dataplaneInsight"]!;
            return insight["subscriptions"]?[0]?["status"]?["lds"] is not null;
        }, TimeSpan.FromSeconds(30), "dp-1's listener response reported");
        Assert.True(insight["connected"]!.GetValue<bool>());
        var subscription = Assert.Single(insight["subscriptions"]!.AsArray())!.AsObject();
        Assert.Equal(["id", "controlPlaneInstanceId", "connectTime", "status"], subscription.Select(p => p.Key));
        Assert.NotNull(subscription["status"]!["total"]!["responsesSent"]);
        Assert.NotNull(subscription["status"]!["lds"]);
        // Kuma's older path of one overview answers the same document as _overview.
        var one = await fixture.GetAsync("/meshes/mesh1/dataplanes+insights/dp-1");
        Assert.Equal("kri_dp_mesh1_default__dp-1_", one["kri"]!.GetValue<string>());
        Assert.True(one["dataplaneInsight"]!["connected"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("?gateway=maybe", "gateway", "shoud use `true`, `false`, 'builtin' or 'delegated' instead of maybe")]
    [InlineData("?online=yes", "online", "must be true or false, got yes")]
    [InlineData("?size=0", "size", "must be greater than 0")]
    [InlineData("?filter[name]=x", "filter[name]", "filters are only supported on labels")]
    public async Task Bad_filters_are_refused_with_the_field(string query, string field, string message)
    {
        var response = await fixture.Tenant.GetAsync("/meshes/mesh1/dataplanes/_overview" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var causes = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["causes"]!.AsArray();
        var cause = Assert.Single(causes)!;
        Assert.Equal(field, cause["field"]!.GetValue<string>());
        Assert.Equal(message, cause["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/meshes/paged/dataplanes")]
    [InlineData("/meshes/paged/dataplanes/_overview")]
    [InlineData("/meshes/paged/dataplanes+insights")]
    public async Task Numeric_offsets_and_next_links_both_page_through_without_loss_or_repeats(string path)
    {
        await EnsurePagedMeshAsync();
        var expected = Enumerable.Range(0, 13).Select(i => $"dp-{i:D2}").ToList();

        // A client computing offsets as Kuma's do: size × page.
        var byIndex = new List<string>();
        for (var offset = 0; offset < 13; offset += 5)
        {
            var page = await fixture.GetAsync($"{path}?size=5&offset={offset}");
            Assert.Equal(13, page["total"]!.GetValue<int>());
            byIndex.AddRange(page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
            // The next link carries the stable cursor, never an index.
            if (page["next"] is { } next) Assert.DoesNotMatch("offset=[0-9]+(&|$)", next.GetValue<string>());
        }
        Assert.Equal(expected, byIndex);
        Assert.Empty((await fixture.GetAsync($"{path}?size=5&offset=13"))["items"]!.AsArray());

        var byCursor = new List<string>();
        string? link = $"{path}?size=5";
        while (link is not null)
        {
            var page = await fixture.GetAsync(link);
            byCursor.AddRange(page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
            link = page["next"]?.GetValue<string>();
            Assert.True(byCursor.Count <= 13, "paging does not end");
        }
        Assert.Equal(expected, byCursor);

        // An index into the middle, then the cursor from there on.
        var middle = await fixture.GetAsync($"{path}?size=4&offset=6");
        var rest = await fixture.GetAsync(middle["next"]!.GetValue<string>());
        Assert.Equal(expected.Skip(6).Take(8), middle["items"]!.AsArray().Concat(rest["items"]!.AsArray()).Select(i => i!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_negative_offset_is_refused()
    {
        var response = await fixture.Tenant.GetAsync("/meshes/mesh1/dataplanes/_overview?size=10&offset=-1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Tenant.GetAsync("/meshes/mesh1/dataplanes?offset=-1")).StatusCode);
    }

    private static readonly SemaphoreSlim PagedOnce = new(1, 1);

    private async Task EnsurePagedMeshAsync()
    {
        await PagedOnce.WaitAsync();
        try
        {
            if ((await fixture.Tenant.GetAsync("/meshes/paged")).IsSuccessStatusCode) return;
            await fixture.PutAsync("/meshes/paged", """{"type":"Mesh","name":"paged","skipCreatingInitialPolicies":["*"]}""");
            for (var i = 0; i < 13; i++) await fixture.PutAsync($"/meshes/paged/dataplanes/dp-{i:D2}", InsightFixture.Inbound1234($"dp-{i:D2}", "paged"));
        }
        finally
        {
            PagedOnce.Release();
        }
    }
}
