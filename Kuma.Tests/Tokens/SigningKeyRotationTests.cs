using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Tokens;

/// <summary>
/// Signing keys rotate as in Kuma: a new key (next serial) signs new tokens, tokens of an older key stay
/// valid until that key is removed. The fixture is this class's own, since rotation is cluster-wide.
/// </summary>
public sealed class SigningKeyRotationTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task User_tokens_of_an_older_key_stay_valid_until_the_key_is_removed()
    {
        await Cp.CreateTenantAsync("rot-user");
        var before = await Cp.IssueTokenAsync("rot-user");
        Assert.Equal("1", TokenClaimsReader.KeyId(before));

        var added = await Cp.Client.PostAsync("/signing-keys/user", null);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("""{"kid":"2","secret":"user-token-signing-key-2"}""", await added.Content.ReadAsStringAsync());
        var after = await Cp.IssueTokenAsync("rot-user");
        Assert.Equal("2", TokenClaimsReader.KeyId(after));
        Assert.Equal(
            """{"signingKeyId":"2","items":[{"kid":"1","secret":"user-token-signing-key-1"},{"kid":"2","secret":"user-token-signing-key-2"}]}""",
            await Cp.Client.GetStringAsync("/signing-keys/user"));

        using var old = Cp.NewClient(before);
        using var current = Cp.NewClient(after);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/meshes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/meshes")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.DeleteAsync("/signing-keys/user/1")).StatusCode);
        var refused = await old.GetAsync("/meshes");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("there is no signing key with KID 1. If signing key was rotated, regenerate the token",
            JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/meshes")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await Cp.Client.DeleteAsync("/signing-keys/user/1")).StatusCode);
        var last = await Cp.Client.DeleteAsync("/signing-keys/user/2");
        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        Assert.Equal("signing key 2 is the only one left: add another before removing it",
            JsonNode.Parse(await last.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dataplane_tokens_of_an_older_key_connect_until_the_key_is_removed()
    {
        using var tenant = await ShopMesh.TenantWithWebAsync(Cp, "rot-dp");
        var before = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web");
        Assert.Equal("dp-1", TokenClaimsReader.KeyId(before));

        Assert.Equal(HttpStatusCode.Created, (await Cp.Client.PostAsync("/signing-keys/dataplane", null)).StatusCode);
        var after = await ControlPlane.DataplaneTokenAsync(tenant, "shop", "web");
        Assert.Equal("dp-2", TokenClaimsReader.KeyId(after));
        await AssertConnectsAsync(before);
        await AssertConnectsAsync(after);

        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.DeleteAsync("/signing-keys/dataplane/dp-1")).StatusCode);
        await using (var refused = new AdsClient(fixture.DpAddress, "shop.web", before))
        {
            await refused.SendAsync(TypeUrls.Listener);
            var end = await refused.EndAsync();
            Assert.Equal(StatusCode.Unauthenticated, end.StatusCode);
            Assert.Equal("there is no signing key with KID dp-1. If signing key was rotated, regenerate the token", end.Detail);
        }
        await AssertConnectsAsync(after);
    }

    [Fact]
    public async Task Only_the_control_planes_admin_manages_signing_keys()
    {
        var tenantAdmin = await Cp.CreateTenantAsync("rot-access");
        using var client = Cp.NewClient(tenantAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/signing-keys/user")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/signing-keys/dataplane", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Cp.Client.GetAsync("/signing-keys/dataplane")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Cp.Client.GetAsync("/signing-keys/zone")).StatusCode);
    }

    [Fact]
    public async Task Callers_without_a_valid_token_get_401_and_change_no_signing_key()
    {
        var before = await Cp.Client.GetStringAsync("/signing-keys/dataplane");
        var valid = await Cp.CreateTenantAsync("rot-forged");
        // A real token's claims with another signature: what an attacker who saw one token could send.
        var forged = valid[..valid.LastIndexOf('.')] + "." + Convert.ToBase64String(new byte[64]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        foreach (var token in new[] { "garbage", forged })
        {
            using var client = Cp.NewClient(token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/signing-keys/dataplane")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/signing-keys/dataplane", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync("/signing-keys/dataplane/1")).StatusCode);
        }
        Assert.Equal(before, await Cp.Client.GetStringAsync("/signing-keys/dataplane"));
    }

    private async Task AssertConnectsAsync(string token)
    {
        await using var client = new AdsClient(fixture.DpAddress, "shop.web", token);
        await client.SendAsync(TypeUrls.Listener);
        Assert.NotEmpty((await client.NextAsync()).Resources);
    }
}
