using System.Net.Http.Json;

namespace Kuma.Tests.Infrastructure;

/// <summary>The setup the token tests share: a new tenant holding mesh <c>shop</c> (mTLS off), its dataplane <c>web</c>, user tokens of it.</summary>
internal static class ShopMesh
{
    /// <summary>A client of the new tenant's admin group; the tenant holds mesh shop.</summary>
    public static async Task<HttpClient> TenantAsync(ControlPlane cp, string tenant, string body = "{}")
    {
        var admin = cp.NewClient(await cp.CreateTenantAsync(tenant, body));
        (await admin.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        return admin;
    }

    /// <summary>As <see cref="TenantAsync"/>, with dataplane web of service web at 10.0.0.1:8080.</summary>
    public static async Task<HttpClient> TenantWithWebAsync(ControlPlane cp, string tenant)
    {
        var admin = await TenantAsync(cp, tenant);
        await PutWebAsync(admin, 8080);
        return admin;
    }

    public static async Task PutWebAsync(HttpClient tenant, int port) =>
        (await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.1", port)))).EnsureSuccessStatusCode();

    /// <summary>A user token of the admin's own tenant, issued by the admin.</summary>
    public static async Task<string> UserTokenAsync(HttpClient tenantAdmin, string name, params string[] groups)
    {
        var response = await tenantAdmin.PostAsJsonAsync("/tokens/user", new { name, groups, validFor = "1h" });
        var token = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, token);
        return token;
    }
}
