using System.Net;
using System.Text.Json.Nodes;
using Kuma.Testing;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Tenancy;

/// <summary>
/// Each mesh has its own grain, so creates in different meshes of one tenant run in parallel; the quota
/// must still hold exactly, whichever store is the truth.
/// </summary>
public abstract class ConcurrentQuotaTests
{
    private static readonly string[] PolicyTypes = ["MeshTimeout", "MeshRetry", "MeshCircuitBreaker"];

    protected abstract Task<ControlPlane> StartAsync();

    [Fact]
    public async Task Concurrent_creates_across_meshes_stop_exactly_at_the_quota()
    {
        await using var cp = await StartAsync();
        using var client = cp.NewClient(await cp.CreateTenantAsync("tight", """{"quotas":{"dataplanes":5,"policies":3}}"""));
        var meshes = Enumerable.Range(0, 8).Select(i => $"m{i}").ToList();
        foreach (var mesh in meshes)
        {
            // Without default policies every stored policy is one created below.
            var created = await client.PutAsync($"/meshes/{mesh}", ControlPlane.Json("""{"skipCreatingInitialPolicies":["*"]}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var dataplanes = meshes.SelectMany(m => Enumerable.Range(0, 5).Select(i =>
            client.PutAsync($"/meshes/{m}/dataplanes/dp-{i}", ControlPlane.Json(Samples.Dataplane(m, $"dp-{i}")))));
        var policies = meshes.SelectMany(m => PolicyTypes.Select(type =>
        {
            var sample = Samples.Get(type);
            return client.PutAsync(Samples.PathOf(sample, m, "p"), ControlPlane.Json(sample.Body(m, "p")));
        }));
        var dataplaneTasks = dataplanes.ToList();
        var policyTasks = policies.ToList();
        var dataplaneAnswers = await Task.WhenAll(dataplaneTasks);
        var policyAnswers = await Task.WhenAll(policyTasks);

        await AssertOnlyQuotaRefusals(dataplaneAnswers, expectedCreated: 5, "tenant tight has reached its quota of 5 dataplanes");
        await AssertOnlyQuotaRefusals(policyAnswers, expectedCreated: 3, "tenant tight has reached its quota of 3 policies");

        Assert.Equal(5, await Total(client, "/dataplanes"));
        var storedPolicies = 0;
        foreach (var type in PolicyTypes) storedPolicies += await Total(client, $"/{Samples.Get(type).Plural}");
        Assert.Equal(3, storedPolicies);
    }

    private static async Task AssertOnlyQuotaRefusals(HttpResponseMessage[] answers, int expectedCreated, string refusal)
    {
        Assert.Equal(expectedCreated, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        foreach (var answer in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.Forbidden, $"{(int)answer.StatusCode}: {body}");
            var error = JsonNode.Parse(body)!;
            Assert.Equal("Quota exceeded", error["title"]!.GetValue<string>());
            Assert.Equal(refusal, error["detail"]!.GetValue<string>());
        }
    }

    private static async Task<int> Total(HttpClient client, string path) =>
        JsonNode.Parse(await client.GetStringAsync(path))!["total"]!.GetValue<int>();
}

public sealed class MemoryConcurrentQuotaTests : ConcurrentQuotaTests
{
    protected override Task<ControlPlane> StartAsync() => ControlPlane.StartAsync();
}

public sealed class PostgresConcurrentQuotaTests : ConcurrentQuotaTests
{
    protected override async Task<ControlPlane> StartAsync() =>
        await ControlPlane.StartAsync(await (await PostgresServer.GetAsync()).CreateDatabaseAsync("quota_api"));
}
