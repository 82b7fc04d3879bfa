using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Tokens;

/// <summary>Tokens revoked by id, as Kuma revokes them: a secret listing the ids, per mesh for dataplanes and per tenant for users.</summary>
public sealed class RevocationTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task A_revoked_dataplane_tokens_live_stream_is_closed_and_reconnecting_with_it_fails()
    {
        using var tenant = await ShopMesh.TenantWithWebAsync(Cp, "rev-dp");
        var leaked = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web");
        var kept = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web");

        await using (var live = new AdsClient(fixture.DpAddress, "shop.web", leaked))
        {
            await live.SendAsync(TypeUrls.Listener);
            Assert.NotEmpty((await live.NextAsync()).Resources);

            var revocations = TokenClaimsReader.RevocationSecret("Secret", "dataplane-token-revocations-shop", "shop", "some-other-id", TokenClaimsReader.Id(leaked));
            (await tenant.PutAsync("/meshes/shop/secrets/dataplane-token-revocations-shop", ControlPlane.Json(revocations))).EnsureSuccessStatusCode();

            var end = await live.EndAsync();
            Assert.Equal(StatusCode.Unauthenticated, end.StatusCode);
            Assert.Equal("token is revoked", end.Detail);
        }

        await using var fresh = new AdsClient(fixture.DpAddress, "shop.web", kept);
        await fresh.SendAsync(TypeUrls.Listener);
        await fresh.AckAsync(await fresh.NextOfTypeAsync(TypeUrls.Listener));

        await using (var again = new AdsClient(fixture.DpAddress, "shop.web", leaked))
        {
            await again.SendAsync(TypeUrls.Listener);
            var end = await again.EndAsync();
            Assert.Equal(StatusCode.Unauthenticated, end.StatusCode);
            Assert.Equal("token is revoked", end.Detail);
        }

        // The refused attempt did not displace the dataplane's live stream: it still gets the next change.
        await ShopMesh.PutWebAsync(tenant, 8081);
        var changed = await fresh.NextOfTypeAsync(TypeUrls.Listener);
        Assert.Contains(changed.Resources, r => r.Unpack<Envoy.Config.Listener.V3.Listener>().Name == "inbound:10.0.0.1:8081");
    }

    [Fact]
    public async Task A_revoked_user_token_gets_401_and_the_tenants_other_tokens_keep_working()
    {
        using var admin = Cp.NewClient(await Cp.CreateTenantAsync("rev-user"));
        var leaked = await ShopMesh.UserTokenAsync(admin, "mallory");
        var kept = await ShopMesh.UserTokenAsync(admin, "alice");
        using var leakedClient = Cp.NewClient(leaked);
        using var keptClient = Cp.NewClient(kept);
        Assert.Equal(HttpStatusCode.OK, (await leakedClient.GetAsync("/meshes")).StatusCode);

        // Kuma tolerates the newline an editor leaves at the end of the list.
        var revocations = TokenClaimsReader.RevocationSecret("GlobalSecret", "user-token-revocations", null, "some-other-id", TokenClaimsReader.Id(leaked) + "\n");
        (await admin.PutAsync("/global-secrets/user-token-revocations", ControlPlane.Json(revocations))).EnsureSuccessStatusCode();

        var refused = await leakedClient.GetAsync("/meshes");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("Unauthorized", error["title"]!.GetValue<string>());
        Assert.Equal("token is revoked", error["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await keptClient.GetAsync("/meshes")).StatusCode);

        // Taking the id off the list lets the token in again.
        (await admin.DeleteAsync("/global-secrets/user-token-revocations")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await leakedClient.GetAsync("/meshes")).StatusCode);
    }
}
