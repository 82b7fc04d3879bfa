using System.Net;
using Kuma.Tests.Infrastructure;
using Kuma.Tests.Tokens;
using Kuma.Tests.Xds;
using Kuma.Xds.Generation;

namespace Kuma.Tests.Kumactl;

/// <summary>Tokens kumactl generates, accepted by the API and the DP server; tenants as the admin manages them; delete.</summary>
public sealed class KumactlTokenTests(PlaintextDpFixture fixture) : IClassFixture<PlaintextDpFixture>
{
    private ControlPlane Cp => fixture.ControlPlane;

    [Fact]
    public async Task The_admin_manages_tenants_and_issues_a_user_token_the_api_accepts()
    {
        using var admin = await KumactlSession.ConnectAsync(Cp);
        var tenantFile = admin.WriteFile("tenant.yaml", "type: Tenant\nname: kctl-acme\nquotas:\n  meshes: 3\n");
        Assert.Equal(new KumactlResult(0, "resource type=\"Tenant\" mesh=\"\" name=\"kctl-acme\" Created\n", ""), await admin.RunAsync("apply", "-f", tenantFile));
        var tenants = await admin.RunAsync("get", "tenants");
        Assert.Equal(0, tenants.ExitCode);
        Assert.Contains(tenants.Out.Split('\n'), line => line.StartsWith("kctl-acme ", StringComparison.Ordinal));

        var issued = await admin.RunAsync("generate", "user-token", "--name", "alice", "--group", "mesh-system:admin", "--tenant", "kctl-acme", "--valid-for", "1h");
        Assert.Equal(0, issued.ExitCode);
        Assert.Equal("", issued.Err);
        using var alice = await KumactlSession.ConnectAsync(Cp, issued.Out);
        var mesh = alice.WriteFile("mesh.yaml", "type: Mesh\nname: acme-mesh\n");
        Assert.Equal(new KumactlResult(0, "resource type=\"Mesh\" mesh=\"\" name=\"acme-mesh\" Created\n", ""), await alice.RunAsync("apply", "-f", mesh));
        using var api = Cp.NewClient(issued.Out);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/meshes/acme-mesh")).StatusCode);

        // A tenant's user may not manage tenants.
        var refused = await alice.RunAsync("delete", "tenant", "kctl-acme");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("Error: failed to delete Tenant with the name \"kctl-acme\": ", refused.Err, StringComparison.Ordinal);

        // The API's field errors come out as one line per field.
        Assert.Equal(new KumactlResult(1, "", "Error: failed to generate a user token: Resource is not valid\n* tenant: tenant kctl-nobody does not exist\n"),
            await admin.RunAsync("generate", "user-token", "--name", "bob", "--tenant", "kctl-nobody", "--valid-for", "1h"));

        Assert.Equal(new KumactlResult(0, "deleted Tenant \"kctl-acme\"\n", ""), await admin.RunAsync("delete", "tenant", "kctl-acme"));
        Assert.DoesNotContain((await admin.RunAsync("get", "tenants")).Out.Split('\n'), line => line.StartsWith("kctl-acme ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dataplane_token_from_kumactl_opens_an_ads_stream()
    {
        using var session = await KumactlSession.ForNewTenantAsync(Cp, "kctl-dp");
        var file = session.WriteFile("mesh.yaml", """
            type: Mesh
            name: shop
            ---
            type: Dataplane
            mesh: shop
            name: web
            networking:
              address: 10.0.0.1
              inbound:
              - port: 8080
                servicePort: 80
                tags:
                  kuma.io/service: web
            """);
        Assert.Equal(0, (await session.RunAsync("apply", "-f", file)).ExitCode);
        var token = await session.RunAsync("generate", "dataplane-token", "--name", "web", "--mesh", "shop", "--tag", "kuma.io/service=web,web-api", "--valid-for", "24h");
        Assert.Equal(0, token.ExitCode);
        Assert.Equal("", token.Err);

        await using var ads = new AdsClient(fixture.DpAddress, "shop.web", token.Out);
        await ads.SendAsync(TypeUrls.Listener);
        var listeners = await ads.NextOfTypeAsync(TypeUrls.Listener);
        Assert.Contains(listeners.Resources, r => r.Unpack<Envoy.Config.Listener.V3.Listener>().Name == "inbound:10.0.0.1:8080");

        Assert.Equal(new KumactlResult(1, "", "Error: failed to generate a dataplane token: Failed to retrieve Mesh: Not found\n"),
            await session.RunAsync("generate", "dataplane-token", "--name", "web", "--mesh", "nowhere", "--valid-for", "1h"));
        var missingValidity = await session.RunAsync("generate", "dataplane-token", "--mesh", "shop");
        Assert.Equal(1, missingValidity.ExitCode);
        Assert.Contains("--valid-for", missingValidity.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_takes_kumas_singular_names()
    {
        using var session = await KumactlSession.ForNewTenantAsync(Cp, "kctl-del");
        var file = session.WriteFile("mesh.yaml", """
            type: Mesh
            name: demo
            ---
            type: Dataplane
            mesh: demo
            name: web-1
            networking:
              address: 10.0.0.1
              inbound:
              - port: 8080
                tags:
                  kuma.io/service: web
            ---
            type: GlobalSecret
            name: shared
            data: c2VjcmV0
            """);
        Assert.Equal(0, (await session.RunAsync("apply", "-f", file)).ExitCode);

        Assert.Equal(new KumactlResult(0, "deleted Dataplane \"web-1\"\n", ""), await session.RunAsync("delete", "dataplane", "web-1", "--mesh", "demo"));
        Assert.Equal(new KumactlResult(1, "", "Error: No resources found in demo mesh\n"), await session.RunAsync("get", "dataplane", "web-1", "--mesh", "demo"));
        Assert.Equal(new KumactlResult(1, "", "Error: there is no Dataplane with name \"web-1\"\n"), await session.RunAsync("delete", "dataplane", "web-1", "--mesh", "demo"));
        Assert.Equal(new KumactlResult(0, "deleted GlobalSecret \"shared\"\n", ""), await session.RunAsync("delete", "global-secret", "shared"));
        Assert.Equal(new KumactlResult(0, "deleted Mesh \"demo\"\n", ""), await session.RunAsync("delete", "mesh", "demo"));

        var unknown = await session.RunAsync("delete", "widget", "x");
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("Error: unknown TYPE: widget. Allowed values: dataplane, global-secret, mesh, ", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_and_revoked_tokens_fail_with_the_reason()
    {
        using var admin = await KumactlSession.ConnectAsync(Cp);
        Assert.Equal(0, (await admin.RunAsync("apply", "-f", admin.WriteFile("t.yaml", "type: Tenant\nname: kctl-rev\n"))).ExitCode);
        var revoked = (await admin.RunAsync("generate", "user-token", "--name", "mallory", "--group", "mesh-system:admin", "--tenant", "kctl-rev", "--valid-for", "1h")).Out;
        var kept = (await admin.RunAsync("generate", "user-token", "--name", "alice", "--group", "mesh-system:admin", "--tenant", "kctl-rev", "--valid-for", "1h")).Out;
        using var mallory = await KumactlSession.ConnectAsync(Cp, revoked);
        using var alice = await KumactlSession.ConnectAsync(Cp, kept);
        var revocations = alice.WriteFile("revoke.json", TokenClaimsReader.RevocationSecret("GlobalSecret", "user-token-revocations", null, TokenClaimsReader.Id(revoked)));
        Assert.Equal(0, (await alice.RunAsync("apply", "-f", revocations)).ExitCode);
        Assert.Equal(new KumactlResult(1, "", "Error: failed to list Mesh: Unauthorized: token is revoked\n"), await mallory.RunAsync("get", "meshes"));
        Assert.Equal(0, (await alice.RunAsync("get", "meshes")).ExitCode);

        var shortLived = await admin.RunAsync("generate", "user-token", "--name", "brief", "--group", "mesh-system:admin", "--tenant", "kctl-rev", "--valid-for", "1s");
        using var brief = await KumactlSession.ConnectAsync(Cp, shortLived.Out);
        KumactlResult? last = null;
        // Token times have one-second resolution: poll until the control plane's clock passes the expiry.
        await Eventually.HoldsAsync(async () => (last = await brief.RunAsync("get", "meshes")).ExitCode != 0, TimeSpan.FromSeconds(10), "the token expires");
        Assert.Equal(new KumactlResult(1, "", "Error: failed to list Mesh: Unauthorized: token expired\n"), last);
    }
}
