using System.Net;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Tenancy;

public sealed class TenantLifecycleTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task Deleting_a_tenant_removes_its_meshes_and_voids_its_tokens()
    {
        using var client = Cp.NewClient(await Cp.CreateTenantAsync("gone"));
        await client.PutAsync("/meshes/m1", ControlPlane.Json("{}"));
        await client.PutAsync("/meshes/m1/dataplanes/dp", ControlPlane.Json(Samples.Dataplane("m1", "dp")));
        await client.PutAsync("/meshes/m2", ControlPlane.Json("{}"));

        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.DeleteAsync("/tenants/gone")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Cp.Client.GetAsync("/tenants/gone")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/meshes")).StatusCode);

        // A tenant of the same name starts empty: nothing of the old one leaks into it.
        using var again = Cp.NewClient(await Cp.CreateTenantAsync("gone"));
        Assert.Equal(0, JsonNode.Parse(await again.GetStringAsync("/meshes"))!["total"]!.GetValue<int>());
        Assert.Equal(0, JsonNode.Parse(await again.GetStringAsync("/dataplanes"))!["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync("/meshes/m1/dataplanes/dp")).StatusCode);
    }

    [Fact]
    public async Task Quotas_limit_meshes_dataplanes_and_policies()
    {
        using var client = Cp.NewClient(await Cp.CreateTenantAsync("small", """{"quotas":{"meshes":1,"dataplanes":2,"policies":5}}"""));
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/only", ControlPlane.Json("{}"))).StatusCode);
        var refused = await client.PutAsync("/meshes/second", ControlPlane.Json("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("quota of 1 meshes", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync("/meshes/only", ControlPlane.Json("{}"))).StatusCode); // updates are not creations

        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/only/dataplanes/a", ControlPlane.Json(Samples.Dataplane("only", "a")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/only/dataplanes/b", ControlPlane.Json(Samples.Dataplane("only", "b")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync("/meshes/only/dataplanes/c", ControlPlane.Json(Samples.Dataplane("only", "c")))).StatusCode);

        // Four default policies already count; the fifth fits, the sixth does not.
        var timeout = Samples.Get("MeshTimeout");
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/only/meshtimeouts/p5", ControlPlane.Json(timeout.Body("only", "p5")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync("/meshes/only/meshtimeouts/p6", ControlPlane.Json(timeout.Body("only", "p6")))).StatusCode);
        Assert.Equal(2, JsonNode.Parse(await client.GetStringAsync("/dataplanes"))!["total"]!.GetValue<int>());

        // Raising the quota lets the next write through.
        await Cp.Client.PutAsync("/tenants/small", ControlPlane.Json("""{"quotas":{"meshes":1,"dataplanes":3,"policies":5}}"""));
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/meshes/only/dataplanes/c", ControlPlane.Json(Samples.Dataplane("only", "c")))).StatusCode);
    }

    [Fact]
    public async Task A_tenant_over_its_rate_gets_429_with_retry_after()
    {
        using var client = Cp.NewClient(await Cp.CreateTenantAsync("chatty", """{"apiRateLimit":{"requestsPerSecond":5}}"""));
        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 40; i++) statuses.Add(await client.GetAsync("/meshes"));
        var limited = statuses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.True(statuses.Count(r => r.StatusCode == HttpStatusCode.OK) >= 5);
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(429, JsonNode.Parse(await limited[0].Content.ReadAsStringAsync())!["status"]!.GetValue<int>());

        // Other tenants are not held back by this one.
        using var quiet = Cp.NewClient(await Cp.CreateTenantAsync("quiet"));
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync("/meshes")).StatusCode);
    }

    [Fact]
    public async Task The_default_rate_lets_automation_through()
    {
        using var client = Cp.NewClient(await Cp.CreateTenantAsync("busy"));
        var tasks = Enumerable.Range(0, 600).Select(_ => client.GetAsync("/meshes"));
        var responses = await Task.WhenAll(tasks);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Tenant_bodies_are_validated()
    {
        var response = await Cp.Client.PutAsync("/tenants/bad", ControlPlane.Json("""{"quotas":{"meshes":-1},"apiRateLimit":{"requestsPerSecond":0}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("quotas.meshes", body, StringComparison.Ordinal);
        Assert.Contains("apiRateLimit.requestsPerSecond", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await Cp.Client.PutAsync("/tenants/Not_A_Label", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Cp.Client.DeleteAsync("/tenants/default")).StatusCode);
        var token = await Cp.Client.PostAsync("/tokens/user", ControlPlane.Json("""{"name":"x","tenant":"no-such-tenant","validFor":"forever"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        var tokenErrors = await token.Content.ReadAsStringAsync();
        Assert.Contains("\"field\":\"tenant\"", tokenErrors, StringComparison.Ordinal);
        Assert.Contains("\"field\":\"validFor\"", tokenErrors, StringComparison.Ordinal);
    }
}
