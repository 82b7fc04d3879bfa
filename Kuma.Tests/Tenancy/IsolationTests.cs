using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;
using Kuma.Tokens;

namespace Kuma.Tests.Tenancy;

/// <summary>Tenant B can do nothing to tenant A's resources and cannot even tell whether they exist.</summary>
public sealed class IsolationTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>, IAsyncLifetime
{
    private ControlPlane Cp => fixture.ControlPlane;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public async Task InitializeAsync()
    {
        _alice = Cp.NewClient(await Cp.CreateTenantAsync("iso-a"));
        _bob = Cp.NewClient(await Cp.CreateTenantAsync("iso-b"));
        // xunit builds the class anew for each test, so these PUTs create the first time and update after.
        (await _alice.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await _alice.PutAsync("/meshes/shop/dataplanes/web-1", ControlPlane.Json(Samples.Dataplane("shop", "web-1")))).EnsureSuccessStatusCode();
        (await _alice.PutAsync("/meshes/shop/secrets/key", ControlPlane.Json("""{"data":"c2VjcmV0"}"""))).EnsureSuccessStatusCode();
    }

    public Task DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Each_tenant_lists_only_its_own()
    {
        var aliceMeshes = JsonNode.Parse(await _alice.GetStringAsync("/meshes"))!["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>());
        Assert.Equal(["shop"], aliceMeshes);
        Assert.Equal(0, JsonNode.Parse(await _bob.GetStringAsync("/meshes"))!["total"]!.GetValue<int>());
        Assert.Equal(0, JsonNode.Parse(await _bob.GetStringAsync("/dataplanes"))!["total"]!.GetValue<int>());
        Assert.Equal(0, JsonNode.Parse(await _bob.GetStringAsync("/secrets"))!["total"]!.GetValue<int>());
        // The admin's plain paths act in the default tenant, which sees none of them either.
        Assert.DoesNotContain("shop", await Cp.Client.GetStringAsync("/meshes"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/meshes/{mesh}")]
    [InlineData("GET", "/meshes/{mesh}/dataplanes")]
    [InlineData("GET", "/meshes/{mesh}/dataplanes/web-1")]
    [InlineData("GET", "/meshes/{mesh}/secrets/key")]
    [InlineData("DELETE", "/meshes/{mesh}/dataplanes/web-1")]
    [InlineData("DELETE", "/meshes/{mesh}/secrets/key")]
    [InlineData("DELETE", "/meshes/{mesh}")]
    [InlineData("PUT", "/meshes/{mesh}/secrets/key")]
    public async Task Foreign_resources_answer_exactly_like_missing_ones(string method, string template)
    {
        async Task<(HttpStatusCode, string)> Send(string mesh)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), template.Replace("{mesh}", mesh, StringComparison.Ordinal));
            if (method == "PUT") request.Content = ControlPlane.Json("""{"data":"aGFja2Vk"}""");
            var response = await _bob.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var foreign = await Send("shop");
        var missing = await Send("no-such-mesh");
        Assert.Equal(HttpStatusCode.NotFound, foreign.Item1);
        Assert.Equal(missing, foreign);

        // Alice's resources are untouched.
        var secret = JsonNode.Parse(await _alice.GetStringAsync("/meshes/shop/secrets/key"))!;
        Assert.Equal("c2VjcmV0", secret["data"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await _alice.GetAsync("/meshes/shop/dataplanes/web-1")).StatusCode);
    }

    [Fact]
    public async Task Creating_a_mesh_of_the_same_name_makes_a_separate_mesh()
    {
        Assert.Equal(HttpStatusCode.Created, (await _bob.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(0, JsonNode.Parse(await _bob.GetStringAsync("/meshes/shop/dataplanes"))!["total"]!.GetValue<int>());
        Assert.Equal(1, JsonNode.Parse(await _alice.GetStringAsync("/meshes/shop/dataplanes"))!["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await _bob.DeleteAsync("/meshes/shop")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _alice.GetAsync("/meshes/shop")).StatusCode);
    }

    [Theory]
    [InlineData("/tenants/iso-a/meshes")]
    [InlineData("/tenants/iso-a/meshes/shop/dataplanes/web-1")]
    [InlineData("/tenants/nobody-here/meshes")]
    public async Task Tenant_paths_of_others_are_closed_whether_or_not_the_tenant_exists(string path)
    {
        var response = await _bob.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("token does not grant access to this tenant", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_admin_reaches_a_tenant_under_its_prefix_and_a_tenant_its_own()
    {
        var asAdmin = JsonNode.Parse(await Cp.Client.GetStringAsync("/tenants/iso-a/meshes/shop/dataplanes"))!;
        Assert.Equal(1, asAdmin["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await _alice.GetAsync("/tenants/iso-a/meshes/shop")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Cp.Client.GetAsync("/tenants/nobody-here/meshes")).StatusCode);
    }

    [Fact]
    public async Task Tenants_cannot_manage_tenants_or_issue_tokens()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await _bob.GetAsync("/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _bob.PutAsync("/tenants/iso-a", ControlPlane.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _bob.DeleteAsync("/tenants/iso-a")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _bob.PostAsync("/tokens/user", ControlPlane.Json("""{"name":"x","tenant":"iso-a","validFor":"1h"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _alice.GetAsync("/meshes/shop")).StatusCode);
    }

    [Fact]
    public async Task Forged_expired_and_malformed_tokens_are_refused()
    {
        var genuine = await Cp.IssueTokenAsync("iso-a");
        using var otherKey = RSA.Create(2048);
        var forged = Jwt.Sign(otherKey, "1", new Dictionary<string, object?>
        {
            ["Name"] = "mallory",
            ["Tenant"] = "iso-a",
            ["Groups"] = Array.Empty<string>(),
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        });
        var parts = genuine.Split('.');
        var payload = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!;
        payload["Tenant"] = "iso-b";
        var tampered = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
        var noneAlg = $"{System.Buffers.Text.Base64Url.EncodeToString("""{"alg":"none","kid":"1"}"""u8)}.{parts[1]}.";

        foreach (var token in new[] { forged, tampered, noneAlg, "not-a-token", genuine + "x", "a.b.c" })
        {
            using var client = Cp.NewClient(token);
            var response = await client.GetAsync("/meshes");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(401, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<int>());
        }
        using var basic = Cp.NewClient();
        basic.DefaultRequestHeaders.Authorization = new("Basic", "YWRtaW46YWRtaW4=");
        Assert.Equal(HttpStatusCode.Unauthorized, (await basic.GetAsync("/meshes")).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var expired = await Cp.IssueTokenAsync("iso-a", validFor: "1s");
        using var client = Cp.NewClient(expired);
        // Token times have one-second resolution: poll until the clock passes its expiry, paced so the
        // poll itself stays under the tenant's API rate.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = (await client.GetAsync("/meshes")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Theory]
    [InlineData("_overview")]
    [InlineData("_config")]
    [InlineData("_rules")]
    public async Task Inspect_views_of_a_foreign_dataplane_answer_not_found_and_reveal_nothing(string view)
    {
        // Bob may have a mesh named "shop" of his own (another test makes one), never a dataplane web-1 in it.
        var foreign = await _bob.GetAsync($"/meshes/shop/dataplanes/web-1/{view}");
        var body = await foreign.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.DoesNotContain("web-1", body, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _alice.GetAsync($"/meshes/shop/dataplanes/web-1/{view}")).StatusCode);
    }
}
