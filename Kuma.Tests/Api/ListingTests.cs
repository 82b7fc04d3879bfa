using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Api;

public sealed class ListingTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private HttpClient Client => fixture.ControlPlane.Client;

    public async Task InitializeAsync()
    {
        foreach (var mesh in new[] { "list-a", "list-b" })
        {
            await Client.PutAsync($"/meshes/{mesh}", ControlPlane.Json("{}"));
            for (var i = 0; i < 13; i++)
            {
                var name = $"dp-{i:D2}";
                var body = JsonNode.Parse(Samples.Dataplane(mesh, name))!.AsObject();
                body["labels"] = new JsonObject { ["team"] = i % 3 == 0 ? "blue" : "red", ["tier"] = i < 5 ? "front" : "back" };
                var response = await Client.PutAsync($"/meshes/{mesh}/dataplanes/{name}", ControlPlane.Json(body.ToJsonString()));
                response.EnsureSuccessStatusCode();
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("/dataplanes", 7, 26)]
    [InlineData("/meshes/list-a/dataplanes", 5, 13)]
    [InlineData("/meshes/list-a/dataplanes", 13, 13)]
    [InlineData("/meshes/list-a/dataplanes", 1000, 13)]
    public async Task Paging_visits_every_item_exactly_once(string path, int size, int expected)
    {
        var seen = new List<string>();
        string? next = $"{path}?size={size}";
        var pages = 0;
        while (next is not null)
        {
            var page = JsonNode.Parse(await Client.GetStringAsync(next))!;
            Assert.Equal(expected, page["total"]!.GetValue<int>());
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= size);
            seen.AddRange(items.Select(i => $"{i!["mesh"]}/{i["name"]}"));
            next = page["next"]?.GetValue<string>();
            if (next is not null) Assert.StartsWith($"http://127.0.0.1:{fixture.ControlPlane.ApiPort}{path}?", next);
            Assert.True(++pages <= expected + 1, "paging does not end");
        }
        Assert.Equal(expected, seen.Count);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen); // sorted by mesh, then name
    }

    [Fact]
    public async Task Paging_survives_writes_between_pages()
    {
        var first = JsonNode.Parse(await Client.GetStringAsync("/meshes/list-b/dataplanes?size=4"))!;
        var seen = first["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();
        // An item that sorts before the cursor appears; the next page must neither repeat nor skip.
        await Client.PutAsync("/meshes/list-b/dataplanes/dp-00a", ControlPlane.Json(Samples.Dataplane("list-b", "dp-00a")));
        string? next = first["next"]!.GetValue<string>();
        while (next is not null)
        {
            var page = JsonNode.Parse(await Client.GetStringAsync(next))!;
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
            next = page["next"]?.GetValue<string>();
        }
        Assert.Equal(Enumerable.Range(0, 13).Select(i => $"dp-{i:D2}"), seen);
        await Client.DeleteAsync("/meshes/list-b/dataplanes/dp-00a");
    }

    [Fact]
    public async Task Name_filter_matches_substrings()
    {
        var page = JsonNode.Parse(await Client.GetStringAsync("/meshes/list-a/dataplanes?name=p-1"))!;
        Assert.Equal(["dp-10", "dp-11", "dp-12"], page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
        Assert.Equal(3, page["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Label_filters_all_have_to_match()
    {
        var blue = JsonNode.Parse(await Client.GetStringAsync("/meshes/list-a/dataplanes?filter[labels.team]=blue"))!;
        Assert.Equal(["dp-00", "dp-03", "dp-06", "dp-09", "dp-12"], blue["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));

        var blueFront = JsonNode.Parse(await Client.GetStringAsync("/dataplanes?filter[labels.team]=blue&filter[labels.tier]=front&size=1"))!;
        Assert.Equal(4, blueFront["total"]!.GetValue<int>()); // dp-00 and dp-03 in both meshes
        Assert.Contains("filter%5Blabels.team%5D=blue", blueFront["next"]!.GetValue<string>(), StringComparison.Ordinal);

        var computed = JsonNode.Parse(await Client.GetStringAsync("/dataplanes?filter[labels.kuma.io/mesh]=list-b"))!;
        Assert.Equal(13, computed["total"]!.GetValue<int>());
    }
}
