using System.Net;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Hardening;

/// <summary>
/// Finding 4: after a tenant was deleted and another created under the same name, the old tenant's
/// tokens worked again and read the new owner's resources. Tokens name the incarnation they were issued in.
/// </summary>
public sealed class TenantIncarnationTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task A_deleted_tenants_user_and_dataplane_tokens_open_nothing_of_a_new_tenant_with_its_name()
    {
        var oldToken = await Cp.CreateTenantAsync("phoenix");
        using var old = Cp.NewClient(oldToken);
        (await old.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var oldDataplaneToken = await ControlPlane.DataplaneTokenAsync(old, "shop", "web");
        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.DeleteAsync("/tenants/phoenix")).StatusCode);

        var newToken = await Cp.CreateTenantAsync("phoenix");
        using var owner = Cp.NewClient(newToken);
        (await owner.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await owner.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/meshes/shop/dataplanes/web")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/meshes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/meshes/shop/dataplanes/web")).StatusCode);
        await using var stale = new AdsClient(fixture.DpAddress, "shop.web", oldDataplaneToken);
        await stale.SendAsync(TypeUrls.Listener);
        Assert.Equal(StatusCode.Unauthenticated, await stale.StatusAsync());
    }

    [Fact]
    public async Task A_deleted_meshs_dataplane_tokens_do_not_open_a_new_mesh_with_its_name()
    {
        using var tenant = Cp.NewClient(await Cp.CreateTenantAsync("remesh"));
        (await tenant.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        var oldDataplaneToken = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web");
        Assert.Equal(HttpStatusCode.OK, (await tenant.DeleteAsync("/meshes/shop")).StatusCode);
        (await tenant.PutAsync("/meshes/shop", ControlPlane.Json("{}"))).EnsureSuccessStatusCode();
        (await tenant.PutAsync("/meshes/shop/dataplanes/web", ControlPlane.Json(Samples.Dataplane("shop", "web", "web", "10.0.0.1", 8080)))).EnsureSuccessStatusCode();

        await using var stale = new AdsClient(fixture.DpAddress, "shop.web", oldDataplaneToken);
        await stale.SendAsync(TypeUrls.Listener);
        Assert.Equal(StatusCode.Unauthenticated, await stale.StatusAsync());

        await using var fresh = new AdsClient(fixture.DpAddress, "shop.web", await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web"));
        await fresh.SendAsync(TypeUrls.Listener);
        Assert.NotEmpty((await fresh.NextAsync()).Resources);
    }
}
