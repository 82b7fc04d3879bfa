using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kuma.Tests.Infrastructure;

namespace Kuma.Tests.Tokens;

/// <summary>Kuma's static access control inside a tenant: secrets and token generation for the tenant's admin group by default.</summary>
public sealed class TenantAccessTests(MemoryControlPlaneFixture fixture) : IClassFixture<MemoryControlPlaneFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task A_member_gets_403_for_secrets_and_token_generation_and_the_admin_group_gets_them()
    {
        using var admin = await ShopMesh.TenantAsync(Cp, "acl");
        (await admin.PutAsync("/meshes/shop/secrets/db", ControlPlane.Json("""{"type":"Secret","mesh":"shop","name":"db","data":"c2VjcmV0"}"""))).EnsureSuccessStatusCode();
        (await admin.PutAsync("/global-secrets/api", ControlPlane.Json("""{"type":"GlobalSecret","name":"api","data":"c2VjcmV0"}"""))).EnsureSuccessStatusCode();
        using var member = Cp.NewClient(await ShopMesh.UserTokenAsync(admin, "bob", "developers"));

        const string Who = "user \"bob/developers,mesh-system:authenticated\"";
        await AssertDeniedAsync(await member.GetAsync("/meshes/shop/secrets/db"), $"{Who} cannot access the resource of type \"Secret\"");
        await AssertDeniedAsync(await member.GetAsync("/meshes/shop/secrets"), $"{Who} cannot access the resource of type \"Secret\"");
        await AssertDeniedAsync(await member.PutAsync("/meshes/shop/secrets/db", ControlPlane.Json("""{"type":"Secret","mesh":"shop","name":"db","data":"eA=="}""")),
            $"{Who} cannot access the resource of type \"Secret\"");
        await AssertDeniedAsync(await member.GetAsync("/global-secrets/api"), $"{Who} cannot access the resource of type \"GlobalSecret\"");
        await AssertDeniedAsync(await member.PostAsJsonAsync("/tokens/dataplane", new { name = "web", mesh = "shop", validFor = "1h" }), $"{Who} cannot access generate dataplane token");
        await AssertDeniedAsync(await member.PostAsJsonAsync("/tokens/user", new { name = "eve", validFor = "1h" }), "action not allowed");
        await AssertDeniedAsync(await member.GetAsync("/signing-keys/dataplane"), "this operation is reserved for the control plane's admin");
        // What is not an admin resource stays open to members, config dumps included (Kuma's default).
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("/meshes/shop")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/meshes/shop/secrets/db")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/global-secrets/api")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/tokens/dataplane", new { name = "web", mesh = "shop", validFor = "1h" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/tokens/user", new { name = "eve", validFor = "1h" })).StatusCode);
        // A tenant's admin issues tokens of its own tenant only.
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("/tokens/user", new { name = "eve", tenant = "default", validFor = "1h" })).StatusCode);
    }

    [Fact]
    public async Task A_tenants_access_rules_name_which_groups_may_do_what()
    {
        var rules = """
            {"type":"Tenant","name":"acl-custom","access":{"static":{
              "adminResources":{"groups":["ops"]},
              "generateDpToken":{"users":["ci"],"groups":[]},
              "viewConfigDump":{"groups":["ops"]}}}}
            """;
        using var admin = await ShopMesh.TenantAsync(Cp, "acl-custom", rules);
        using var ops = Cp.NewClient(await Cp.IssueTokenAsync("acl-custom", groups: ["ops"]));
        using var ci = Cp.NewClient(await Cp.IssueTokenAsync("acl-custom", name: "ci", groups: []));

        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/meshes/shop/secrets")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ci.GetAsync("/meshes/shop/secrets")).StatusCode);
        // The tenant's admin group is no longer among those who read secrets.
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/meshes/shop/secrets")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ci.PostAsJsonAsync("/tokens/dataplane", new { name = "web", mesh = "shop", validFor = "1h" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ops.PostAsJsonAsync("/tokens/dataplane", new { name = "web", mesh = "shop", validFor = "1h" })).StatusCode);
        await AssertDeniedAsync(await ci.GetAsync("/meshes/shop/dataplanes/web/_config"), "user \"ci/mesh-system:authenticated\" cannot access envoy proxy info");
        // Unknown fields in the rules are refused like any other.
        var bad = await Cp.Client.PutAsync("/tenants/acl-custom", ControlPlane.Json("""{"type":"Tenant","name":"acl-custom","access":{"static":{"readEverything":{}}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static async Task AssertDeniedAsync(HttpResponseMessage response, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = JsonNode.Parse(body)!;
        Assert.Equal("Access Denied", error["title"]!.GetValue<string>());
        Assert.Equal(detail, error["detail"]!.GetValue<string>());
    }
}
